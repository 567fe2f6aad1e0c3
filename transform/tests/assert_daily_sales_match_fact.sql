-- fct_sales_daily equals the fact aggregated afresh, row by row (day x client x car): proves
-- its incremental recomputation (touched days, days a moved sale left) misses nothing. The
-- one test that reads the whole fact by grain; every report is checked against fct_sales_daily.
with

fact as (

    select
        sale_date,
        client_id,
        product_id,
        count(*) as transactions,
        sum(quantity) as units,
        sum(turnover) as turnover,
        sum(market_value) as market_value,
        sum(discount) as discount
    from {{ ref('fct_transactions') }}
    group by 1, 2, 3

),

daily as (

    select * from {{ ref('fct_sales_daily') }}

)

select
    coalesce(fact.sale_date, daily.sale_date) as sale_date,
    coalesce(fact.client_id, daily.client_id) as client_id,
    coalesce(fact.product_id, daily.product_id) as product_id,
    fact.turnover as fact_turnover,
    daily.turnover as daily_turnover
from fact
full outer join daily
    on
        fact.sale_date = daily.sale_date
        and fact.client_id = daily.client_id
        and fact.product_id = daily.product_id
where
    fact.sale_date is null
    or daily.sale_date is null
    or fact.transactions != daily.transactions
    or fact.units != daily.units
    or fact.turnover != daily.turnover
    or fact.market_value is distinct from daily.market_value
    or fact.discount is distinct from daily.discount
