{#-
    The local days whose sales changed since `since`: the day of each sale fct_transactions
    (re)wrote after it, and the day a moved sale left (moved_from_sale_date), each once; the
    new rows are read once. What an incremental daily table recomputes: fct_sales_daily and
    the daily reports. `transactions` is fct_transactions (or a CTE of it).
-#}
{% macro touched_sale_days(transactions, since) -%}
    select distinct touched.sale_date
    from {{ transactions }} as rewritten
    cross join lateral (
        values (rewritten.sale_date), (rewritten.moved_from_sale_date)
    ) as touched (sale_date)
    where rewritten._dbt_updated_at > {{ since }} and touched.sale_date is not null
{%- endmacro %}

{#-
    The rows of an incremental daily report (columns sale_date and product_id with brand and
    model; with `clients`, client_id with client_name too) that its next run rewrites, as a
    predicate: the days touched since the report's last run (its newest `_dbt_updated_at`),
    and every row of a car or client whose name the dimensions now spell differently (a
    correction, an inferred member that became known). A row group the predicate selects is
    whole (a day, or a member), so the report aggregates it exactly as a full build would.
    Renamed members are found by one index probe each: a run rewrites all of a member's rows,
    so they always carry one name.
    Read when the run starts, before the pre-hook deletes these rows and the model inserts
    them again: both see the same constants. A table built before it had `_dbt_updated_at`
    (it gets the column in this run) has every day rewritten.
-#}
{% macro daily_report_rows_to_rewrite(transactions, cars, clients=none) -%}
    {%- set renamed_cars, renamed_clients = [], [] -%}
    {%- set since = "'-infinity'::timestamptz" -%}
    {%- if execute -%}
        {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
        {%- if '_dbt_updated_at' in columns -%}
            {%- set since = watermark('_dbt_updated_at') -%}
        {%- endif -%}
        {%- set renamed_cars = renamed_members(cars, 'product_id', ['brand', 'model']) -%}
        {%- if clients is not none -%}
            {%- set renamed_clients = renamed_members(clients, 'client_id', ['client_name']) -%}
        {%- endif -%}
    {%- endif -%}
    (
        sale_date in ({{ touched_sale_days(transactions, since) }})
        {%- if renamed_cars %}
            or product_id in ({{ renamed_cars | join(', ') }})
        {%- endif %}
        {%- if renamed_clients %}
            or client_id in ({{ renamed_clients | join(', ') }})
        {%- endif %}
    )
{%- endmacro %}

{#-
    The ids of `dimension` members whose `names` differ from those in this table: one row of
    each member, found through this table's index on `key`.
-#}
{% macro renamed_members(dimension, key, names) -%}
    {%- set query -%}
        select dimension.{{ key }}
        from {{ dimension }} as dimension
        cross join lateral (
            select report.{{ names | join(', report.') }} from {{ this }} as report
            where report.{{ key }} = dimension.{{ key }}
            limit 1
        ) as report
        where (report.{{ names | join(', report.') }})
            is distinct from (dimension.{{ names | join(', dimension.') }})
    {%- endset -%}
    {%- do return(run_query(query).columns[0].values()) -%}
{%- endmacro %}

{#-
    The pre-hook of an incremental daily report: deletes the rows its run writes again
    (nothing on a full build, which replaces the table).
-#}
{% macro delete_daily_report_rows(transactions, cars, clients=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ daily_report_rows_to_rewrite(transactions, cars, clients) }}
    {%- endif -%}
{%- endmacro %}
