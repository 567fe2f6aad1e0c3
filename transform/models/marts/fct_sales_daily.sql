{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[
            {'columns': ['sale_month']},
            {'columns': ['client_id']},
            {'columns': ['product_id']},
            {'columns': ['_dbt_updated_at']},
        ],
        pre_hook="{{ delete_touched_rows(ref('fct_transactions')) }}",
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- Grain: local day x client x car. The one aggregate of the fact: every report is summed from
-- it, so a daily build reads the fact rows of the touched days once, not the whole fact once
-- per report. Incremental, pattern 2 (macros/rewrite_touched_days.sql): a run rewrites whole
-- the days of the sales fct_transactions (re)wrote since this table's last run, and the day a
-- changed sale left.
with

transactions as (

    select * from {{ ref('fct_transactions') }}
    {% if is_incremental() %}
        where {{ touched_rows(ref('fct_transactions')) }}
    {% endif %}

),

daily as (

    select
        sale_date,
        sale_month,
        client_id,
        product_id,
        count(*) as transactions,
        sum(quantity) as units,
        sum(turnover) as turnover,
        sum(market_value) as market_value,
        sum(discount) as discount
    from transactions
    group by 1, 2, 3, 4

),

final as (

    select
        sale_date,
        sale_month,
        client_id,
        product_id,
        transactions,
        units,
        turnover,
        market_value,
        discount,
        now() as _dbt_updated_at
    from daily

)

select * from final
