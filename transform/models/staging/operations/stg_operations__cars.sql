-- The catalog as the operational database holds it now: one row per car of the latest
-- extraction. A car the latest FULL_TABLE sync no longer sent stays in raw (upserted by key)
-- with `_sdc_deleted_at` set by target-postgres on Singer's ACTIVATE_VERSION: it is left out
-- here, so the snapshot of this view (snapshots/snp_operations__cars.yml) records the removal.
with

source as (

    select * from {{ source('operations', 'cars') }}

),

-- the target upserts, but a reload through another path must never duplicate a car
latest as (

    {{ latest_per_key(
        'source',
        'car_id',
        '_sdc_extracted_at desc nulls last, _sdc_sequence desc nulls last'
    ) }}

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
        {{ source_utc(source('operations', 'cars'), '_sdc_extracted_at') }} as loaded_at

    from latest
    where _sdc_deleted_at is null

)

select * from renamed
