-- The catalog rows held back because they break the catalog's contract
-- (base_operations__cars), one per car whose current row does, with the source's own values
-- so the operator can find and fix it. The current state, not a history: a row fixed in the
-- source leaves this view.
with

rejected_cars as (

    select * from {{ ref('base_operations__cars') }}
    where fault is not null

),

renamed as (

    select
        -- ids
        car_id::bigint as product_id,

        -- strings
        fault::text as reason,
        car_make::text as car_make,
        car_model::text as car_model,

        -- numerics
        price::numeric as price,

        -- timestamps
        loaded_at

    from rejected_cars

)

select * from renamed
