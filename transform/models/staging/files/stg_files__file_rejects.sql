-- Quarantined rows, one per rejected source line: a file read again re-rejects the same
-- line, so keep the latest version of each (entity, file, line).
with

source as (

    select * from {{ source('files', 'file_rejects') }}

),

latest as (

    {{ latest_per_key(
        'source',
        'entity, _source_file, _source_lineno',
        '_extracted_at desc nulls last'
    ) }}

),

renamed as (

    select
        -- ids
        md5(
            coalesce(entity, '') || '|' || coalesce(_source_file, '')
            || '|' || coalesce(_source_lineno::text, '')
        ) as reject_id,

        -- strings
        entity::text as entity,
        reason::text as reason,
        column_name::text as column_name,
        raw_line::text as raw_line,

        -- timestamps
        {{ source_utc(source('files', 'file_rejects'), '_extracted_at') }} as loaded_at,

        -- lineage
        _source_file::text as source_file,
        _source_lineno::bigint as source_lineno

    from latest

)

select * from renamed
