-- The primary key (month, brand: YAML) serves the month filters.
-- One row per local month and brand that sold: value, rank and share of the month. Rolled up
-- from rpt_monthly_model_sales (a row per month and car), whose names are the catalog's.
with

model_months as (

    select * from {{ ref('rpt_monthly_model_sales') }}

),

aggregated as (

    select
        month,
        brand,
        sum(transactions)::bigint as transactions,
        sum(units)::bigint as units,
        sum(turnover) as turnover,
        sum(market_value) as market_value
    from model_months
    group by month, brand

),

final as (

    select
        *,
        rank() over (partition by month order by turnover desc) as turnover_rank,
        turnover / nullif(sum(turnover) over (partition by month), 0) as turnover_share
    from aggregated

)

select * from final
