{{ config(indexes=[{'columns': ['month']}]) }}

-- One row per local month and brand that sold: value, rank and share of the month.
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

aggregated as (

    select
        transactions.sale_month as month,
        cars.brand,
        count(*) as transactions,
        sum(transactions.quantity) as units,
        sum(transactions.turnover) as turnover,
        coalesce(sum(transactions.market_value), 0) as market_value
    from transactions
    inner join cars on transactions.product_id = cars.product_id
    group by 1, 2

),

final as (

    select
        *,
        rank() over (partition by month order by turnover desc) as turnover_rank,
        turnover / nullif(sum(turnover) over (partition by month), 0) as turnover_share
    from aggregated

)

select * from final
