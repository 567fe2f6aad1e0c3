-- One row per client: the last version of each client_id delivered (file_version_order);
-- emails trimmed and lower-cased.
with

source as (

    select * from {{ source('files', 'clients') }}

),

latest as (

    {{ latest_per_key('source', 'client_id', file_version_order()) }}

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
        {{ source_utc(source('files', 'clients'), '_extracted_at') }} as loaded_at,

        -- lineage
        _source_file::text as source_file,
        _source_lineno::bigint as source_lineno

    from latest

)

select * from renamed
