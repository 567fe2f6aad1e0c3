-- The primary key (month, client_id: YAML) serves the month filters.
{{ config(indexes=[{'columns': ['client_id']}]) }}

-- One row per local month and client that bought: value, rank and share of the month.
-- No email here: the report reader sees the domain only.
with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}

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
