-- The primary key (month, client_id: YAML) serves the month filters.
-- depends_on: {{ ref('fct_transactions') }} (read only on incremental runs: the touched days)
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['client_id']}, {'columns': ['_dbt_updated_at']}],
        pre_hook="{{ delete_monthly_report_rows(ref('fct_transactions'), ref('dim_clients'),
            'client_id', ['client_name', 'email_domain']) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- One row per local month and client that bought: value, rank and share of the month.
-- No email here: the report reader sees the domain only.
-- Incremental: with many clients this table grows with the client base, so a run rewrites
-- only the months whose sales changed since its last run, or every month after a client was
-- renamed (macros/monthly_report_rewrite.sql).
{% set plan = monthly_report_plan(ref('fct_transactions'), ref('dim_clients'),
    'client_id', ['client_name', 'email_domain']) if is_incremental() else none %}

with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}
    where {{ month_in('sale_month', plan, 'rewrite') }}

),

clients as (

    select * from {{ ref('dim_clients') }}

),

aggregated as (

    select
        daily_sales.sale_month as month,
        daily_sales.client_id,
        clients.client_name,
        clients.email_domain,
        {{ sum_daily_sales('daily_sales') }}
    from daily_sales
    inner join clients on daily_sales.client_id = clients.client_id
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
