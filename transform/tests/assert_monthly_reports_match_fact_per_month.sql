-- Per local month, rpt_monthly_sales equals a direct aggregation of fct_transactions
-- (and market value too, which the cross-layer test does not cover).
with

fact as (

    select
        sale_month as month,
        count(*) as transactions,
        sum(quantity) as units,
        sum(turnover) as turnover,
        coalesce(sum(market_value), 0) as market_value
    from {{ ref('fct_transactions') }}
    group by sale_month

),

report as (

    select * from {{ ref('rpt_monthly_sales') }}

)

select
    report.month,
    report.turnover,
    fact.turnover as fact_turnover
from report
full outer join fact on report.month = fact.month
where
    report.month is null
    or coalesce(fact.transactions, 0) != report.transactions
    or coalesce(fact.units, 0) != report.units
    or coalesce(fact.turnover, 0) != report.turnover
    or coalesce(fact.market_value, 0) != report.market_value
