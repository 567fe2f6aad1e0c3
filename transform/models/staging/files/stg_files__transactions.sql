{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['transaction_id'], 'unique': true},
            {'columns': ['loaded_at']},
            {'columns': ['_dbt_updated_at']},
            {'columns': ['product_id']},
            {'columns': ['client_id']},
        ],
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- One row per sale: the last version of each transaction_id delivered (file_version_order).
-- Indexed by product_id and client_id for the dimensions' inferred members (distinct_values).
-- A table, not a view: deduplicating all of raw on every read cost every downstream model a
-- sort of the whole history. Incremental: a run reads only the raw rows loaded after the
-- newest load already here (loads into raw are serialised by Meltano's state lock, see
-- `load_lookback_minutes`), and replaces a sale only when the new version comes later in
-- file order (a late load of an earlier file does not).
with

source as (

    select * from {{ source('files', 'transactions') }}
    {% if is_incremental() %}
        where {{ loaded_after(
            source('files', 'transactions'), watermark('loaded_at', var('load_lookback_minutes'))
        ) }}
    {% endif %}

),

latest as (

    {{ latest_per_key('source', 'transaction_id', file_version_order()) }}

),

renamed as (

    select
        -- ids
        transaction_id::bigint as transaction_id,
        product_id::bigint as product_id,
        client_id::bigint as client_id,

        -- numerics
        quantity::integer as quantity,
        -- trim_scale: the value, not how a loader spelled it (12015, 12015.0 and 12015.00 land
        -- from JSON Lines, the stock sink and a Parquet decimal column respectively)
        trim_scale(price::numeric) as unit_price,

        -- timestamps
        {{ source_utc(source('files', 'transactions'), 'timestamp') }} as sold_at,
        {{ load_time(source('files', 'transactions')) }} as loaded_at,
        {{ source_utc(source('files', 'transactions'), '_extracted_at') }} as extracted_at,

        -- lineage (also the version order: file, extracted_at, line)
        _source_file::text as source_file,
        {{ source_utc(source('files', 'transactions'), '_source_file_mtime') }} as source_file_mtime,
        _source_lineno::bigint as source_lineno

    from latest

),

newer as (

    select renamed.*
    from renamed
    {% if is_incremental() %}
        left join {{ this }} as current_version
            on renamed.transaction_id = current_version.transaction_id
        where
            current_version.transaction_id is null
            or {{ version_order('renamed') }} > {{ version_order('current_version') }}
    {% endif %}

),

final as (

    select
        transaction_id,
        product_id,
        client_id,
        quantity,
        unit_price,
        sold_at,
        loaded_at,
        extracted_at,
        source_file,
        source_file_mtime,
        source_lineno,
        now() as _dbt_updated_at
    from newer

)

select * from final
