-- The primary key (month: YAML) serves the month filters.
-- One row per local month of the data's range (months without sales show zeros), with
-- month-over-month and year-over-year comparisons. Ratios are null when undefined.
-- Rolled up from rpt_monthly_client_sales (a row per month and client who bought), which
-- holds a month's sales in far fewer rows than fct_sales_daily when clients are many.
{% set compared = [
    'transactions', 'units', 'turnover', 'market_value', 'discount_pct', 'avg_basket',
    'active_clients', 'new_clients',
] %}

with

client_months as (

    select * from {{ ref('rpt_monthly_client_sales') }}

),

months as (

    select distinct month_start as month from {{ ref('dim_date') }}

),

first_purchases as (

    select
        client_id,
        min(month) as first_month
    from client_months
    group by client_id

),

sales as (

    select
        month,
        sum(transactions)::bigint as transactions,
        sum(units)::bigint as units,
        sum(turnover) as turnover,
        sum(market_value) as market_value,
        count(*) as active_clients  -- a row per client who bought (the key)
    from client_months
    group by month

),

new_clients as (

    select
        first_month as month,
        count(*) as new_clients
    from first_purchases
    group by first_month

),

monthly as (

    select
        months.month,
        coalesce(sales.transactions, 0) as transactions,
        coalesce(sales.units, 0) as units,
        coalesce(sales.turnover, 0) as turnover,
        coalesce(sales.market_value, 0) as market_value,
        coalesce(sales.market_value, 0) - coalesce(sales.turnover, 0) as discount,
        round(
            (sales.market_value - sales.turnover) / nullif(sales.market_value, 0), 6
        ) as discount_pct,
        round(sales.turnover / nullif(sales.transactions, 0), 2) as avg_basket,
        coalesce(sales.active_clients, 0) as active_clients,
        coalesce(new_clients.new_clients, 0) as new_clients
    from months
    left join sales on months.month = sales.month
    left join new_clients on months.month = new_clients.month

),

final as (

    select
        cur.*,
        {% for metric in compared %}
            prev_month.{{ metric }} as {{ metric }}_prev_month,
            {{ pct_change('cur.' ~ metric, 'prev_month.' ~ metric) }} as {{ metric }}_mom_pct,
            prev_year.{{ metric }} as {{ metric }}_prev_year,
            {{ pct_change('cur.' ~ metric, 'prev_year.' ~ metric) }} as {{ metric }}_yoy_pct
            {%- if not loop.last %},{% endif %}
        {% endfor %}
    from monthly as cur
    left join monthly as prev_month
        on (prev_month.month + interval '1 month')::date = cur.month
    left join monthly as prev_year
        on (prev_year.month + interval '1 year')::date = cur.month

)

select * from final
