-- The primary key (month, product_id: YAML) serves the month filters.
-- depends_on: {{ ref('fct_transactions') }} (read only on incremental runs: the touched days)
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['product_id']}, {'columns': ['_dbt_updated_at']}],
        pre_hook="{{ delete_monthly_report_rows(ref('fct_transactions'), ref('dim_cars'),
            'product_id', ['brand', 'model']) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- One row per local month and car model that sold: value, rank and share of the month.
-- Incremental: a run rewrites only the months whose sales changed since its last run, or
-- every month after a car was renamed (macros/monthly_report_rewrite.sql).
{% set plan = monthly_report_plan(ref('fct_transactions'), ref('dim_cars'),
    'product_id', ['brand', 'model']) if is_incremental() else none %}

with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}
    where {{ month_in('sale_month', plan, 'rewrite') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

aggregated as (

    select
        daily_sales.sale_month as month,
        daily_sales.product_id,
        cars.brand,
        cars.model,
        {{ sum_daily_sales('daily_sales') }}
    from daily_sales
    inner join cars on daily_sales.product_id = cars.product_id
    group by 1, 2, 3, 4

),

final as (

    select
        *,
        rank() over (partition by month order by turnover desc) as turnover_rank,
        turnover / nullif(sum(turnover) over (partition by month), 0) as turnover_share,
        now() as _dbt_updated_at
    from aggregated

)

select * from final
