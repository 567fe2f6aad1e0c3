-- One row per client: the latest version of each client_id; emails trimmed and lower-cased.
with

source as (

    select * from {{ source('files', 'clients') }}

),

latest as (

    {{ latest_per_key(
        'source',
        'client_id',
        '_sdc_extracted_at desc nulls last, _sdc_source_file_mtime desc nulls last,'
        ~ ' _sdc_source_lineno desc nulls last'
    ) }}

),

renamed as (

    select
        -- ids
        client_id::bigint as client_id,

        -- strings
        trim(name)::text as client_name,
        nullif(lower(trim(email)), '')::text as email,
        nullif(split_part(lower(trim(email)), '@', 2), '')::text as email_domain,

        -- timestamps
        {{ source_utc(source('files', 'clients'), '_sdc_extracted_at') }} as loaded_at,

        -- lineage
        _sdc_source_file::text as source_file,
        _sdc_source_lineno::bigint as source_lineno

    from latest

)

select * from renamed
