-- The primary key (month, client_id, brand, model: YAML) serves the month filters.
-- depends_on: {{ ref('fct_transactions') }} (read only on incremental runs: the touched days)
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        indexes=[{'columns': ['_dbt_updated_at']}],
        pre_hook="{{ delete_month_rows(ref('fct_transactions'), ref('dim_cars'), ref('dim_date')) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- Grain: month (local) x client x brand x model. A row exists for every month in which the
-- combination sold, and for the month after (so a drop to zero is visible). Each metric
-- sits beside its previous-month value and the change; the first month of the spine has no
-- previous month, so its previous values are null.
-- Incremental: a run rewrites the months whose days the fact touched since its last run and
-- the month after each (and the months after the data's last month when that moved), or every
-- month when a car was renamed or the first month moved (macros/monthly_rewrite.sql).
{% set metrics = ['transactions', 'units', 'turnover', 'market_value', 'discount'] %}
{% set plan = monthly_rewrite_plan(ref('fct_transactions'), ref('dim_cars'), ref('dim_date'))
    if is_incremental() else none %}

with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}
    where {{ month_in('sale_month', plan, 'read') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

months as (

    select distinct month_start as month from {{ ref('dim_date') }}

),

spine_bounds as (

    select
        min(month) as first_month,
        max(month) as last_month
    from months

),

monthly as (

    select
        daily_sales.sale_month as month,
        daily_sales.client_id,
        cars.brand,
        cars.model,
        sum(daily_sales.transactions)::bigint as transactions,
        sum(daily_sales.units)::bigint as units,
        sum(daily_sales.turnover) as turnover,
        sum(daily_sales.market_value) as market_value,
        sum(daily_sales.discount) as discount
    from daily_sales
    inner join cars on daily_sales.product_id = cars.product_id
    group by 1, 2, 3, 4

),

cars_fingerprint as (

    {{ cars_fingerprint('cars') }}

),

grid as (

    select
        month,
        client_id,
        brand,
        model
    from monthly
    union
    select
        (monthly.month + interval '1 month')::date as month,
        monthly.client_id,
        monthly.brand,
        monthly.model
    from monthly
    cross join spine_bounds
    where monthly.month < spine_bounds.last_month

),

rewritten as (

    select * from grid
    where {{ month_in('month', plan, 'rewrite') }}

),

final as (

    select
        rewritten.month,
        rewritten.client_id,
        rewritten.brand,
        rewritten.model,
        {% for metric in metrics %}
            coalesce(cur.{{ metric }}, 0) as {{ metric }},
            case
                when rewritten.month > spine_bounds.first_month then coalesce(prev.{{ metric }}, 0)
            end as {{ metric }}_prev_month,
            coalesce(cur.{{ metric }}, 0)
            - case
                when rewritten.month > spine_bounds.first_month then coalesce(prev.{{ metric }}, 0)
            end as {{ metric }}_change,
        {% endfor %}
        md5(
            concat_ws('|', rewritten.month, rewritten.client_id, rewritten.brand, rewritten.model)
        ) as month_client_model_key,
        cars_fingerprint.fingerprint as cars_fingerprint,
        now() as _dbt_updated_at
    from rewritten
    cross join spine_bounds
    cross join cars_fingerprint
    left join monthly as cur
        on
            rewritten.month = cur.month
            and rewritten.client_id = cur.client_id
            and rewritten.brand = cur.brand
            and rewritten.model = cur.model
    left join monthly as prev
        on
            rewritten.month = (prev.month + interval '1 month')::date
            and rewritten.client_id = prev.client_id
            and rewritten.brand = prev.brand
            and rewritten.model = prev.model

)

select * from final
