-- One row per car: the latest version by load metadata (the target upserts, but a reload
-- through another path must never duplicate a car).
with

source as (

    select * from {{ source('operations', 'cars') }}

),

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

        -- booleans
        _sdc_deleted_at is not null as is_deleted,

        -- timestamps
        {{ source_utc(source('operations', 'cars'), '_sdc_extracted_at') }} as loaded_at,
        {{ source_utc(source('operations', 'cars'), '_sdc_deleted_at') }} as deleted_at

    from latest

)

select * from renamed
