-- The car dimension: every car of the catalog (deleted ones flagged, sales still point to
-- them), an inferred member for each product id sold but absent from the catalog, and the
-- unknown member -1 for a sale without product id. Facts never lose a row to a missing car.
with

cars as (

    select * from {{ ref('stg_operations__cars') }}

),

sold as (

    -- the car ids sold, one index probe each (macros/distinct_values.sql)
    {{ distinct_values(ref('stg_files__transactions'), 'product_id') }}

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

    select
        sold.product_id,
        'Unknown'::text as brand,
        ('Unknown #' || sold.product_id::text)::text as model,
        null::numeric as list_price,
        false as is_active,
        true as is_unknown
    from sold
    left join cars on sold.product_id = cars.product_id
    where cars.product_id is null

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
