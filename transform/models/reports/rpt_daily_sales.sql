-- The primary key (sale_date, product_id: YAML) serves the day filters.
-- depends_on: {{ ref('fct_transactions') }} {{ ref('dim_car_versions') }} (incremental runs)
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['month']}, {'columns': ['product_id']}, {'columns': ['_dbt_updated_at']}],
        pre_hook="{{ delete_touched_rows(ref('fct_transactions'), ref('dim_car_versions')) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- One row per local day and car model that sold: the cockpit's daily charts.
-- Incremental, pattern 2 (macros/rewrite_touched_days.sql): a run rewrites the days the fact
-- touched and every row of a car whose catalog version was recorded since its last run (its
-- name may have changed), each summed whole from fct_sales_daily.
with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}
    {% if is_incremental() %}
        where {{ touched_rows(ref('fct_transactions'), ref('dim_car_versions')) }}
    {% endif %}

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
