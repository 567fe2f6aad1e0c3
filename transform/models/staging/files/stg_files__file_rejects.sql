-- Quarantined rows, one per rejected source line: a file read again re-rejects the same
-- line, so keep the latest version of each (entity, file, line).
with

source as (

    select * from {{ source('files', 'file_rejects') }}

),

latest as (

    {{ latest_per_key(
        'source',
        'entity, _sdc_source_file, _sdc_source_lineno',
        '_sdc_extracted_at desc nulls last, _sdc_source_file_mtime desc nulls last'
    ) }}

),

renamed as (

    select
        -- ids
        md5(
            coalesce(entity, '') || '|' || coalesce(_sdc_source_file, '')
            || '|' || coalesce(_sdc_source_lineno::text, '')
        ) as reject_id,

        -- strings
        entity::text as entity,
        reason::text as reason,
        column_name::text as column_name,
        raw_line::text as raw_line,

        -- timestamps
        {{ source_utc(source('files', 'file_rejects'), '_sdc_extracted_at') }} as loaded_at,

        -- lineage
        _sdc_source_file::text as source_file,
        _sdc_source_lineno::bigint as source_lineno

    from latest

)

select * from renamed
