-- Grain: month (local) x client x brand x model. A row exists for every month in which the
-- combination sold, and for the month after (so a drop to zero is visible). Each metric
-- sits beside its previous-month value and the change; the first month of the spine has no
-- previous month, so its previous values are null.
{% set metrics = ['transactions', 'units', 'turnover', 'market_value', 'discount'] %}

with

daily_sales as (

    select * from {{ ref('fct_sales_daily') }}

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

final as (

    select
        grid.month,
        grid.client_id,
        grid.brand,
        grid.model,
        {% for metric in metrics %}
            coalesce(cur.{{ metric }}, 0) as {{ metric }},
            case
                when grid.month > spine_bounds.first_month then coalesce(prev.{{ metric }}, 0)
            end as {{ metric }}_prev_month,
            coalesce(cur.{{ metric }}, 0)
            - case
                when grid.month > spine_bounds.first_month then coalesce(prev.{{ metric }}, 0)
            end as {{ metric }}_change,
        {% endfor %}
        md5(
            concat_ws('|', grid.month, grid.client_id, grid.brand, grid.model)
        ) as month_client_model_key
    from grid
    cross join spine_bounds
    left join monthly as cur
        on
            grid.month = cur.month
            and grid.client_id = cur.client_id
            and grid.brand = cur.brand
            and grid.model = cur.model
    left join monthly as prev
        on
            grid.month = (prev.month + interval '1 month')::date
            and grid.client_id = prev.client_id
            and grid.brand = prev.brand
            and grid.model = prev.model

)

select * from final
