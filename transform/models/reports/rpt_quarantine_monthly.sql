-- The primary key (month, source, reason: YAML) serves the month filters.
-- Quarantined rows per local month of their load, source and reason: the file rows rejected,
-- and the catalog rows held back now (counted in the month of their latest extraction).
with

file_rejects as (

    select * from {{ ref('stg_files__file_rejects') }}

),

car_rejects as (

    select * from {{ ref('stg_operations__car_rejects') }}

),

rejects as (

    select
        loaded_at,
        entity as source,
        reason
    from file_rejects
    union all
    select
        loaded_at,
        'cars'::text as source,
        reason
    from car_rejects

),

final as (

    select
        date_trunc('month', {{ to_local('loaded_at') }})::date as month,
        source,
        reason,
        count(*) as quarantined_rows
    from rejects
    group by 1, 2, 3

)

select * from final
