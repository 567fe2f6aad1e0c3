{{ config(indexes=[{'columns': ['sale_date']}, {'columns': ['month']}]) }}

-- One row per local day and car model that sold: the cockpit's daily charts.
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

final as (

    select
        transactions.sale_date,
        transactions.sale_month as month,
        transactions.product_id,
        cars.brand,
        cars.model,
        count(*) as transactions,
        sum(transactions.quantity) as units,
        sum(transactions.turnover) as turnover,
        coalesce(sum(transactions.market_value), 0) as market_value
    from transactions
    inner join cars on transactions.product_id = cars.product_id
    group by 1, 2, 3, 4, 5

)

select * from final
