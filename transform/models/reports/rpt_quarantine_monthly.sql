-- The primary key (month, source, reason: YAML) serves the month filters.
-- Quarantined rows per local month of their load, source and reason.
with

rejects as (

    select * from {{ ref('stg_files__file_rejects') }}

),

final as (

    select
        date_trunc('month', {{ to_local('loaded_at') }})::date as month,
        entity as source,
        reason,
        count(*) as quarantined_rows
    from rejects
    group by 1, 2, 3

)

select * from final
