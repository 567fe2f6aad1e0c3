{{
    config(
        materialized='incremental',
        unique_key='sale_date',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        indexes=[
            {'columns': ['sale_date']},
            {'columns': ['sale_month']},
            {'columns': ['client_id']},
            {'columns': ['_dbt_updated_at']},
        ],
        post_hook=[
            "delete from {{ this }} where client_id is null",
            "{{ analyze_if_new() }}",
        ],
    )
}}

-- Grain: local day x client x car. The one aggregate of the fact: every report is summed from
-- it, so a daily build reads the fact rows of the touched days once, not the whole fact once
-- per report.
-- Incremental: a run recomputes only the days touched by the sales fct_transactions (re)wrote
-- since this table's last run: the day of each new or changed sale and the day a changed sale
-- left. delete+insert on sale_date replaces those days whole. A touched day left without any
-- sale is written as one placeholder row (null ids) so that its old rows are deleted too; the
-- post-hook then removes the placeholder.
with

-- Read twice on incremental runs (touched days, then their sales): not materialized, or
-- PostgreSQL would copy the whole fact into a CTE before either filter could use an index.
transactions as not materialized (

    select * from {{ ref('fct_transactions') }}

),

{% if is_incremental() %}

    touched_days as (

        {{ touched_sale_days('transactions', watermark('_dbt_updated_at')) }}

    ),

{% endif %}

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
    {% if is_incremental() %}
        where sale_date in (select touched_days.sale_date from touched_days)
    {% endif %}
    group by 1, 2, 3, 4

),

{% if is_incremental() %}

    emptied_days as (

        select touched_days.sale_date
        from touched_days
        left join daily on touched_days.sale_date = daily.sale_date
        where daily.sale_date is null

    ),

{% endif %}

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
    {% if is_incremental() %}
        union all
        select
            sale_date,
            date_trunc('month', sale_date)::date as sale_month,
            null::bigint as client_id,
            null::bigint as product_id,
            0::bigint as transactions,
            0::bigint as units,
            0::numeric as turnover,
            null::numeric as market_value,
            null::numeric as discount,
            now() as _dbt_updated_at
        from emptied_days
    {% endif %}

)

select * from final
