-- The operational catalog's current rows, each with why it breaks the catalog's contract (null
-- when it meets it: a make, a model and a price that is not negative). The latest version of
-- each car: the target upserts, but a reload through another path must never duplicate a car.
-- Without the cars the latest FULL_TABLE sync no longer sent (`_sdc_deleted_at`, set by
-- target-postgres on Singer's ACTIVATE_VERSION). stg_operations__cars keeps the rows that meet
-- the contract, stg_operations__car_rejects the others.
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

checked as (

    select
        car_id,
        car_make,
        car_model,
        price,
        {{ source_utc(source('operations', 'cars'), '_sdc_extracted_at') }} as loaded_at,
        -- `<code>: <column>`, as tap-csv's rejects say it
        case
            when nullif(trim(car_make), '') is null then 'missing_required: car_make'
            when nullif(trim(car_model), '') is null then 'missing_required: car_model'
            when price is null then 'missing_required: price'
            when price < 0 then 'out_of_range: price is negative'
        end as fault
    from latest
    where _sdc_deleted_at is null

)

select * from checked
