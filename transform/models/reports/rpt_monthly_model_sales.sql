-- The primary key (month, product_id: YAML) serves the month filters.
{{ config(indexes=[{'columns': ['product_id']}]) }}

-- One row per local month and car model that sold: value, rank and share of the month.
with

-- day x car: a few rows per day, where fct_sales_daily has one per client too
daily_sales as (

    select
        *,
        month as sale_month
    from {{ ref('rpt_daily_sales') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

aggregated as (

    select
        daily_sales.sale_month as month,
        daily_sales.product_id,
        cars.brand,
        cars.model,
        {{ sum_daily_sales('daily_sales') }}
    from daily_sales
    inner join cars on daily_sales.product_id = cars.product_id
    group by 1, 2, 3, 4

),

final as (

    select
        *,
        rank() over (partition by month order by turnover desc) as turnover_rank,
        turnover / nullif(sum(turnover) over (partition by month), 0) as turnover_share,
        now() as _dbt_updated_at
    from aggregated

)

select * from final
