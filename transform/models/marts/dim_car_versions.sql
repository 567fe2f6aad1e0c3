-- Analysed as it is built (a few rows): fct_transactions' re-valuation joins the versions
-- recorded since its last run to the sales, and the planner must know they are few.
{{ config(post_hook='analyze {{ this }}') }}

-- The catalog's history: one row per version of each car (the snapshot's rows without its
-- deletion rows), numbered per car, with the stretch of sale times it values. A sale takes
-- the version in force when it was sold (`priced_from <= sold_at < priced_until`): the latest
-- version seen at or before the sale, or the car's first version for a sale older than every
-- version the warehouse has seen. Every sale time of a known car falls in exactly one version.
with

snapshot as (

    select * from {{ ref('snp_operations__cars') }}

),

versions as (

    select
        -- ids
        dbt_scd_id as car_version_id,
        product_id,

        -- strings
        brand,
        model,

        -- numerics
        list_price,

        -- timestamps
        dbt_valid_from as valid_from,
        dbt_valid_to as valid_to,
        dbt_updated_at as recorded_at
    from snapshot
    where dbt_is_deleted = 'False'

),

ordered as (

    select
        *,
        row_number() over by_car as version_number,
        lead(valid_from) over by_car as next_valid_from
    from versions
    window by_car as (partition by product_id order by valid_from)

),

final as (

    select
        car_version_id,
        product_id,
        version_number::integer as version_number,
        brand,
        model,
        list_price,
        valid_from,
        valid_to,
        case when version_number = 1 then '-infinity'::timestamptz else valid_from end
            as priced_from,
        coalesce(next_valid_from, 'infinity'::timestamptz) as priced_until,
        valid_to is null as is_current,
        recorded_at
    from ordered

)

select * from final
