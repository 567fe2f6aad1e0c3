-- The catalog as the operational database holds it now: one row per current car
-- (base_operations__cars). A car the source removed is not here, so the snapshot of this view
-- (snapshots/snp_operations__cars.yml) records the removal. Nor is a row that breaks the
-- catalog's contract, so a typo in the source stops no build: the car keeps its last valid
-- version for its sales, as a car out of the catalog does, and stg_operations__car_rejects
-- says why until the source is fixed.
with

current_cars as (

    select * from {{ ref('base_operations__cars') }}
    where fault is null

),

renamed as (

    select
        -- ids
        car_id::bigint as product_id,

        -- strings
        trim(car_make)::text as brand,
        trim(car_model)::text as model,

        -- numerics
        -- trim_scale: the value, not how a loader spelled it (12015 or 12015.0)
        trim_scale(price::numeric) as list_price,

        -- timestamps
        loaded_at

    from current_cars

)

select * from renamed
