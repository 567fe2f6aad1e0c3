-- A view: fct_sales_daily has this grain already (and its indexes on sale_date, client_id and
-- product_id serve the cockpit's filters); the view adds the names from the dimensions when it
-- is read, so a renamed client or car shows its new name on every day at once.
{{ config(materialized='view') }}

-- One row per local day, client and car model: the cockpit's client filter.
with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}

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
        daily_sales._dbt_updated_at
    from daily_sales
    -- left joins on the dimensions' keys (every id has a member): PostgreSQL leaves out a join
    -- whose columns a query does not read
    left join cars on daily_sales.product_id = cars.product_id
    left join clients on daily_sales.client_id = clients.client_id

)

select * from final
