-- fct_sales_daily equals the fact aggregated afresh, row by row (day x client x car): proves
-- its incremental recomputation (touched days, days a moved sale left) misses nothing. Every
-- report is checked against fct_sales_daily.
-- A daily build compares the days of the latest runs: the days fct_sales_daily rewrote, and
-- the days the fact's latest rows say it had to (each new or changed sale's day, the day a
-- moved sale left), so its cost follows the delta. A full build compares every day (all rows
-- are the latest run's), and so does the weekly audit (var test_all_rows).
{%- set scoped = not var('test_all_rows') %}
{%- if scoped %}
    {#- read first and written in as constants, as test_scope.sql does: the indexes find them -#}
    {%- set fact_run = timestamp_constant(
        'select max(_dbt_updated_at) from ' ~ ref('fct_transactions')) or 'null' %}
    {%- set daily_run = timestamp_constant(
        'select max(_dbt_updated_at) from ' ~ ref('fct_sales_daily')) or 'null' %}
{%- endif %}
with

{% if scoped %}

    latest_sales as (

        select
            sale_date,
            moved_from_sale_date
        from {{ ref('fct_transactions') }}
        where _dbt_updated_at = {{ fact_run }}

    ),

    touched_days as (

        select sale_date from {{ ref('fct_sales_daily') }}
        where _dbt_updated_at = {{ daily_run }}
        union
        select sale_date from latest_sales
        union
        select moved_from_sale_date from latest_sales
        where moved_from_sale_date is not null

    ),

{% endif %}

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
    {% if scoped %}
        where sale_date in (select touched_days.sale_date from touched_days)
    {% endif %}
    group by 1, 2, 3

),

daily as (

    select * from {{ ref('fct_sales_daily') }}
    {% if scoped %}
        where sale_date in (select touched_days.sale_date from touched_days)
    {% endif %}

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
