-- The primary key (sale_date, client_id, product_id: YAML) serves the day filters.
-- depends_on: {{ ref('fct_transactions') }} (read only on incremental runs: the touched days)
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['month']},
            {'columns': ['client_id']},
            {'columns': ['product_id']},
            {'columns': ['_dbt_updated_at']},
        ],
        pre_hook="{{ delete_daily_report_rows(ref('fct_transactions'), ref('dim_cars'), ref('dim_clients')) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- One row per local day, client and car model: the cockpit's client filter. fct_sales_daily
-- has this grain already; the report adds the names.
-- Incremental: with many clients this table is nearly as large as the fact, so a run
-- rewrites only the days whose sales changed since its last run and the rows of a renamed
-- client or car (macros/daily_rewrite.sql): the pre-hook deletes those rows, the run inserts
-- them again from fct_sales_daily, in one transaction. A day left without sales is deleted
-- and not inserted again. A table built before it was incremental gets `_dbt_updated_at`
-- (null) on its next run, which then rewrites every row; its new indexes come with
-- `--full-refresh`.
with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}
    {% if is_incremental() %}
        where
            {{ daily_report_rows_to_rewrite(ref('fct_transactions'), ref('dim_cars'), ref('dim_clients')) }}
    {% endif %}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

clients as (

    select * from {{ ref('dim_clients') }}

),

final as (

    select
        daily_sales.sale_date,
        daily_sales.sale_month as month,
        daily_sales.client_id,
        clients.client_name,
        daily_sales.product_id,
        cars.brand,
        cars.model,
        daily_sales.transactions,
        daily_sales.units,
        daily_sales.turnover,
        coalesce(daily_sales.market_value, 0) as market_value,
        now() as _dbt_updated_at
    from daily_sales
    inner join cars on daily_sales.product_id = cars.product_id
    inner join clients on daily_sales.client_id = clients.client_id

)

select * from final
