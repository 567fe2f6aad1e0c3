-- Per local month, rpt_monthly_sales equals a direct aggregation of fct_sales_daily (market
-- value too, which the cross-layer test does not cover). fct_sales_daily itself is checked
-- against the fact, row by row, by assert_daily_sales_match_fact.
with

daily as (

    select
        sale_month as month,
        sum(transactions) as transactions,
        sum(units) as units,
        sum(turnover) as turnover,
        coalesce(sum(market_value), 0) as market_value
    from {{ ref('fct_sales_daily') }}
    group by sale_month

),

report as (

    select * from {{ ref('rpt_monthly_sales') }}

)

select
    report.month,
    report.turnover,
    daily.turnover as daily_turnover
from report
full outer join daily on report.month = daily.month
where
    report.month is null
    or coalesce(daily.transactions, 0) != report.transactions
    or coalesce(daily.units, 0) != report.units
    or coalesce(daily.turnover, 0) != report.turnover
    or coalesce(daily.market_value, 0) != report.market_value
