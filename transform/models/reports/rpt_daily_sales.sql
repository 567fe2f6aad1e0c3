-- The primary key (sale_date, product_id: YAML) serves the day filters.
{{ config(indexes=[{'columns': ['month']}, {'columns': ['product_id']}]) }}

-- One row per local day and car model that sold: the cockpit's daily charts.
with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

final as (

    select
        daily_sales.sale_date,
        daily_sales.sale_month as month,
        daily_sales.product_id,
        cars.brand,
        cars.model,
        {{ sum_daily_sales('daily_sales') }},
        now() as _dbt_updated_at
    from daily_sales
    inner join cars on daily_sales.product_id = cars.product_id
    group by 1, 2, 3, 4, 5

)

select * from final
