-- Turnover, units and transactions are the same in every layer:
-- staging = fct_transactions = fct_sales_daily = rpt_monthly_sales
-- = the other reports.
{#- Every aggregate layer carries the same three measures: one union arm each. -#}
{% set aggregates = [
    'fct_sales_daily', 'rpt_monthly_sales', 'rpt_monthly_brand_sales',
    'rpt_monthly_model_sales', 'rpt_monthly_client_sales', 'rpt_daily_sales', 'rpt_daily_client_sales',
] %}

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
    {% for aggregate in aggregates %}
        union all
        select
            '{{ aggregate }}' as layer,
            sum(transactions)::numeric as transactions,
            sum(units)::numeric as units,
            sum(turnover) as turnover
        from {{ ref(aggregate) }}
    {% endfor %}

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
