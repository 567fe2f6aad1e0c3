-- The primary key (month, car_version_id: YAML) serves the month filter.
-- The catalog versions that valued a local month's sales, for each car whose list price
-- changed during that month (the report's footer names them): each version in force during
-- the month, with the part of the month it priced. Months without a price change have no row.
-- Small (a few rows per price change): rebuilt whole from the catalog's history.
with

versions as (

    select * from {{ ref('dim_car_versions') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

months as (

    select distinct
        month_start as month,
        month_start::timestamp at time zone '{{ var("reporting_timezone") }}' as starts_at,
        (month_start + interval '1 month')::timestamp at time zone '{{ var("reporting_timezone") }}'
            as ends_at
    from {{ ref('dim_date') }}

),

price_changes as (

    select distinct
        months.month,
        months.starts_at,
        months.ends_at,
        versions.product_id
    from versions
    inner join versions as previous
        on
            versions.product_id = previous.product_id
            and versions.version_number = previous.version_number + 1
    inner join months
        on versions.valid_from >= months.starts_at and versions.valid_from < months.ends_at
    where versions.list_price is distinct from previous.list_price

),

final as (

    select
        price_changes.month,
        versions.car_version_id,
        versions.product_id,
        cars.brand,
        cars.model,
        versions.version_number,
        versions.list_price,
        greatest(versions.priced_from, price_changes.starts_at) as in_force_from,
        least(versions.priced_until, price_changes.ends_at) as in_force_until
    from price_changes
    inner join versions
        on
            price_changes.product_id = versions.product_id
            and price_changes.ends_at > versions.priced_from
            and price_changes.starts_at < versions.priced_until
    inner join cars on versions.product_id = cars.product_id

)

select * from final
