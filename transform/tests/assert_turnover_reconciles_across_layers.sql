-- Turnover, units and transactions are the same in every layer:
-- staging = fct_transactions = fct_sales_daily = fct_transactions_month = rpt_monthly_sales
-- = the other reports.
with

layers as (

    select
        'stg_files__transactions' as layer,
        count(*)::numeric as transactions,
        sum(quantity)::numeric as units,
        sum(unit_price * quantity) as turnover
    from {{ ref('stg_files__transactions') }}
    union all
    select
        'fct_transactions' as layer,
        count(*)::numeric as transactions,
        sum(quantity)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('fct_transactions') }}
    union all
    select
        'fct_sales_daily' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('fct_sales_daily') }}
    union all
    select
        'fct_transactions_month' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('fct_transactions_month') }}
    union all
    select
        'rpt_monthly_sales' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('rpt_monthly_sales') }}
    union all
    select
        'rpt_monthly_brand_sales' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('rpt_monthly_brand_sales') }}
    union all
    select
        'rpt_monthly_model_sales' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('rpt_monthly_model_sales') }}
    union all
    select
        'rpt_monthly_client_sales' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('rpt_monthly_client_sales') }}
    union all
    select
        'rpt_daily_sales' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('rpt_daily_sales') }}
    union all
    select
        'rpt_daily_client_sales' as layer,
        sum(transactions)::numeric as transactions,
        sum(units)::numeric as units,
        sum(turnover) as turnover
    from {{ ref('rpt_daily_client_sales') }}

),

reference as (

    select * from layers
    where layer = 'stg_files__transactions'

)

select layers.*
from layers
cross join reference
where
    coalesce(layers.transactions, 0) != coalesce(reference.transactions, 0)
    or coalesce(layers.units, 0) != coalesce(reference.units, 0)
    or coalesce(layers.turnover, 0) != coalesce(reference.turnover, 0)
