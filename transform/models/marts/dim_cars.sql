-- The car dimension, one row per car as the catalog names it now: the car's latest version
-- (dim_car_versions keeps them all). A car that left the catalog stays, inactive, with the
-- time it left (its sales still point to it, valued at their versions). An inferred member
-- for each product id sold but never seen in the catalog, and the unknown member -1 for a
-- sale without product id: facts never lose a row to a missing car. An inferred member gives
-- way to the real car on the run that first sees it in the catalog.
with

versions as (

    select * from {{ ref('dim_car_versions') }}

),

sold as (

    -- the car ids sold, one index probe each (macros/distinct_values.sql)
    {{ distinct_values(ref('stg_files__transactions'), 'product_id') }}

),

latest as (

    select distinct on (product_id) *
    from versions
    order by product_id asc, version_number desc

),

catalog as (

    select
        product_id,
        brand,
        model,
        list_price,
        is_current as is_active,
        false as is_unknown,
        version_number as versions,
        case when not is_current then valid_to end as left_catalog_at
    from latest

),

inferred as (

    select
        sold.product_id,
        'Unknown'::text as brand,
        ('Unknown #' || sold.product_id::text)::text as model,
        null::numeric as list_price,
        false as is_active,
        true as is_unknown,
        0 as versions,
        null::timestamptz as left_catalog_at
    from sold
    left join latest on sold.product_id = latest.product_id
    where latest.product_id is null

),

unknown_member as (

    select
        -1::bigint as product_id,
        'Unknown'::text as brand,
        'Unknown'::text as model,
        null::numeric as list_price,
        false as is_active,
        true as is_unknown,
        0 as versions,
        null::timestamptz as left_catalog_at

),

final as (

    select * from catalog
    union all
    select * from inferred
    union all
    select * from unknown_member

)

select * from final
