{#-
    What an incremental run of a monthly ranking report (rpt_monthly_client_sales,
    rpt_monthly_model_sales: a row per local month and member, ranked within its month) rewrites:
    {'rewrite': the months, as 'YYYY-MM-DD' strings of their first day}; none for every month.

    A month's rows rank its members and share out its turnover, so a run rewrites whole months:
    each month whose days the fact touched since the report's last run (its newest
    `_dbt_updated_at`; `touched_sale_days`, a moved sale's old day included). It rewrites every
    month when a member's name in `dimension` (its `key` and `names`) is no longer the one the
    report shows (a correction, an inferred member that became known: rare; one index probe per
    member, `renamed_members`), or when the table was built before it had `_dbt_updated_at`.
    Read when the run starts, before the pre-hook deletes these months' rows and the model
    inserts them again: both see the same constants.
-#}
{% macro monthly_report_plan(transactions, dimension, key, names) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_dbt_updated_at' not in columns or renamed_members(dimension, key, names) -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        select distinct to_char(date_trunc('month', touched.sale_date), 'YYYY-MM-DD')
        from ({{ touched_sale_days(transactions, watermark('_dbt_updated_at')) }}) as touched
    {%- endset -%}
    {%- do return({'rewrite': run_query(query).columns[0].values() | list}) -%}
{%- endmacro %}

{#-
    The pre-hook of a monthly ranking report's incremental runs: deletes the rows of the months
    the run writes again (nothing on a full build, which replaces the table).
-#}
{% macro delete_monthly_report_rows(transactions, dimension, key, names) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ month_in('month', monthly_report_plan(transactions, dimension, key, names), 'rewrite') }}
    {%- endif -%}
{%- endmacro %}
