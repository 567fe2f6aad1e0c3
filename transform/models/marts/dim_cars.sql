-- The car dimension: every car of the catalog (deleted ones flagged, sales still point to
-- them), an inferred member for each product id sold but absent from the catalog, and the
-- unknown member -1 for a sale without product id. Facts never lose a row to a missing car.
with

cars as (

    select * from {{ ref('stg_operations__cars') }}

),

transactions as (

    select * from {{ ref('stg_files__transactions') }}

),

catalog as (

    select
        product_id,
        brand,
        model,
        list_price,
        not is_deleted as is_active,
        false as is_unknown
    from cars

),

inferred as (

    select distinct
        transactions.product_id,
        'Unknown'::text as brand,
        ('Unknown #' || transactions.product_id::text)::text as model,
        null::numeric as list_price,
        false as is_active,
        true as is_unknown
    from transactions
    left join cars on transactions.product_id = cars.product_id
    where
        cars.product_id is null
        and transactions.product_id is not null

),

unknown_member as (

    select
        -1::bigint as product_id,
        'Unknown'::text as brand,
        'Unknown'::text as model,
        null::numeric as list_price,
        false as is_active,
        true as is_unknown

),

final as (

    select * from catalog
    union all
    select * from inferred
    union all
    select * from unknown_member

)

select * from final
