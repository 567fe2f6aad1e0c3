-- The primary key (sale_date, product_id: YAML) serves the day filters.
-- depends_on: {{ ref('fct_transactions') }} (read only on incremental runs: the touched days)
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['month']},
            {'columns': ['product_id']},
            {'columns': ['_dbt_updated_at']},
        ],
        pre_hook="{{ delete_daily_report_rows(ref('fct_transactions'), ref('dim_cars')) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- One row per local day and car model that sold: the cockpit's daily charts.
-- Incremental, as rpt_daily_client_sales: a run rewrites the days whose sales changed since
-- its last run and the rows of a renamed car (macros/daily_rewrite.sql), each day or car
-- summed whole from fct_sales_daily.
with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}
    {% if is_incremental() %}
        where {{ daily_report_rows_to_rewrite(ref('fct_transactions'), ref('dim_cars')) }}
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
