-- One row per source entity: raw rows loaded, current rows after dedup, quarantined rows
-- and the last load time. Counts only: no record content reaches the report reader.
with

raw_cars as (

    select
        'cars'::text as source,
        count(*) as rows_loaded,
        max({{ source_utc(source('operations', 'cars'), '_sdc_extracted_at') }}) as last_loaded_at
    from {{ source('operations', 'cars') }}

),

raw_clients as (

    select
        'clients'::text as source,
        count(*) as rows_loaded,
        max({{ source_utc(source('files', 'clients'), '_extracted_at') }}) as last_loaded_at
    from {{ source('files', 'clients') }}

),

raw_transactions as (

    select
        'transactions'::text as source,
        count(*) as rows_loaded,
        max({{ source_utc(source('files', 'transactions'), '_extracted_at') }}) as last_loaded_at
    from {{ source('files', 'transactions') }}

),

loaded as (

    select * from raw_cars
    union all
    select * from raw_clients
    union all
    select * from raw_transactions

),

current_rows as (

    select
        'cars'::text as source,
        count(*) as rows_current
    from {{ ref('stg_operations__cars') }}  -- the current catalog
    union all
    select
        'clients'::text as source,
        count(*) as rows_current
    from {{ ref('stg_files__clients') }}
    union all
    select
        'transactions'::text as source,
        count(*) as rows_current
    from {{ ref('stg_files__transactions') }}

),

quarantined as (

    select
        entity as source,
        count(*) as rows_quarantined
    from {{ ref('stg_files__file_rejects') }}
    group by entity
    union all
    select
        'cars'::text as source,
        count(*) as rows_quarantined
    from {{ ref('stg_operations__car_rejects') }}  -- held back now

),

final as (

    select
        loaded.source,
        loaded.rows_loaded,
        current_rows.rows_current,
        coalesce(quarantined.rows_quarantined, 0) as rows_quarantined,
        loaded.last_loaded_at
    from loaded
    left join current_rows on loaded.source = current_rows.source
    left join quarantined on loaded.source = quarantined.source

)

select * from final
