{{ config(indexes=[
    {'columns': ['sale_date']}, {'columns': ['month']}, {'columns': ['client_id']},
]) }}

-- One row per local day, client and car model: the cockpit's client filter.
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

clients as (

    select * from {{ ref('dim_clients') }}

),

final as (

    select
        transactions.sale_date,
        transactions.sale_month as month,
        transactions.client_id,
        clients.client_name,
        transactions.product_id,
        cars.brand,
        cars.model,
        count(*) as transactions,
        sum(transactions.quantity) as units,
        sum(transactions.turnover) as turnover,
        coalesce(sum(transactions.market_value), 0) as market_value
    from transactions
    inner join cars on transactions.product_id = cars.product_id
    inner join clients on transactions.client_id = clients.client_id
    group by 1, 2, 3, 4, 5, 6, 7

)

select * from final
