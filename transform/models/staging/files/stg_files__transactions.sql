-- One row per sale: the latest version of each transaction_id by load metadata.
with

source as (

    select * from {{ source('files', 'transactions') }}

),

latest as (

    {{ latest_per_key(
        'source',
        'transaction_id',
        '_sdc_extracted_at desc nulls last, _sdc_source_file_mtime desc nulls last,'
        ~ ' _sdc_source_lineno desc nulls last'
    ) }}

),

renamed as (

    select
        -- ids
        transaction_id::bigint as transaction_id,
        product_id::bigint as product_id,
        client_id::bigint as client_id,

        -- numerics
        quantity::integer as quantity,
        price::numeric as unit_price,

        -- timestamps
        {{ source_utc(source('files', 'transactions'), 'timestamp') }} as sold_at,
        {{ source_utc(source('files', 'transactions'), '_sdc_extracted_at') }} as loaded_at,

        -- lineage
        _sdc_source_file::text as source_file,
        _sdc_source_lineno::bigint as source_lineno

    from latest

)

select * from renamed
