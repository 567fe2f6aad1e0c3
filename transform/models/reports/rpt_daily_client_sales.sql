-- A view: fct_sales_daily has this grain already (its indexes on sale_date, client_id and
-- product_id serve the cockpit's filters); the view adds the names from the dimensions when it
-- is read, so a renamed client or car shows its new name on every day at once.
-- One select without CTEs, and left joins on the dimensions' keys (every id has a member):
-- PostgreSQL then folds the view into a query, pushes its filters into fct_sales_daily's
-- indexes and leaves out a join whose columns the query does not read.
{{ config(materialized='view') }}

-- One row per local day, client and car model: the cockpit's client filter.
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
from {{ ref('fct_sales_daily') }} as daily_sales
left join {{ ref('dim_cars') }} as cars on daily_sales.product_id = cars.product_id
left join {{ ref('dim_clients') }} as clients on daily_sales.client_id = clients.client_id
