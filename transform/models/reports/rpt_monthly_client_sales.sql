{{ config(indexes=[{'columns': ['month']}, {'columns': ['client_id']}]) }}

-- One row per local month and client that bought: value, rank and share of the month.
-- No email here: the report reader sees the domain only.
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

clients as (

    select * from {{ ref('dim_clients') }}

),

aggregated as (

    select
        transactions.sale_month as month,
        transactions.client_id,
        clients.client_name,
        clients.email_domain,
        count(*) as transactions,
        sum(transactions.quantity) as units,
        sum(transactions.turnover) as turnover,
        coalesce(sum(transactions.market_value), 0) as market_value
    from transactions
    inner join clients on transactions.client_id = clients.client_id
    group by 1, 2, 3, 4

),

final as (

    select
        *,
        rank() over (partition by month order by turnover desc) as turnover_rank,
        turnover / nullif(sum(turnover) over (partition by month), 0) as turnover_share
    from aggregated

)

select * from final
