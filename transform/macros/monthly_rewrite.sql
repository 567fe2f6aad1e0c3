{#-
    What an incremental run of fct_transactions_month rewrites: {'rewrite': the months whose
    rows it replaces, 'read': those months and the month before each (their previous-month
    values)}, as lists of 'YYYY-MM-DD' strings; none for every month.

    A month's rows hold its sales and the previous month's, by brand and model name. So a run
    rewrites each month whose days the fact touched since this table's last run (its newest
    `_dbt_updated_at`; `touched_sale_days`) and the month after each, and every month after the
    data's last month when that moved (a new month: the old last month's "month after" rows
    now belong in the data; a last month gone: its rows go). It rewrites every month when that
    is not enough, or cannot be known:
    - a car's name changed (a correction, an inferred member that became known): the car
      dimension's fingerprint (`cars_fingerprint`), stored in every row, differs; a rename can
      move any month's sales from one name to another;
    - the data's first month moved (a sale before the first month): the first month's previous
      values are null, the others' are not;
    - the table is empty, or was built before it had these columns.
    Read when the run starts, before the pre-hook deletes these months' rows and the model
    inserts them again: both see the same constants.
-#}
{% macro monthly_rewrite_plan(transactions, cars, dates) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_dbt_updated_at' not in columns or 'cars_fingerprint' not in columns -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        with

        spine as (

            select
                min(month_start) as first_month,
                max(month_start) as last_month
            from {{ dates }}

        ),

        built as (

            select
                (select min(month) from {{ this }}) as first_month,
                (select max(month) from {{ this }}) as last_month,
                (select cars_fingerprint from {{ this }} limit 1) as cars_fingerprint

        ),

        touched as (

            select distinct date_trunc('month', touched_days.sale_date)::date as month
            from ({{ touched_sale_days(transactions, watermark('_dbt_updated_at')) }}) as touched_days

        ),

        after_last as (

            select least(built.last_month, spine.last_month) as month
            from built
            cross join spine

        ),

        months as (

            select rewritten.month
            from touched
            cross join lateral (
                values (touched.month), ((touched.month + interval '1 month')::date)
            ) as rewritten (month)
            union
            select dates.month_start
            from {{ dates }} as dates
            cross join after_last
            where dates.month_start > after_last.month
            union
            select rows_built.month
            from {{ this }} as rows_built
            cross join after_last
            where rows_built.month > after_last.month

        )

        select
            built.last_month is not null
            and built.first_month = spine.first_month
            and built.cars_fingerprint = ({{ cars_fingerprint(cars) }}) as in_place,
            (select string_agg(to_char(months.month, 'YYYY-MM-DD'), ',') from months) as rewrite,
            (
                select string_agg(distinct to_char(needed.month, 'YYYY-MM-DD'), ',')
                from months
                cross join lateral (
                    values (months.month), ((months.month - interval '1 month')::date)
                ) as needed (month)
            ) as needed
        from spine
        cross join built
    {%- endset -%}
    {%- set row = run_query(query).rows[0] -%}
    {%- if not row[0] -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return({
        'rewrite': row[1].split(',') if row[1] else [],
        'read': row[2].split(',') if row[2] else [],
    }) -%}
{%- endmacro %}

{#-
    A fingerprint of every car's id and name, as a uuid: a rename changes it. Each car is a
    row's text form, `(105,Peugeot,208)`, which quotes a name holding a comma or a parenthesis,
    so two different lists of names never read the same.
-#}
{% macro cars_fingerprint(cars) -%}
    select
        md5(string_agg(row(product_id, brand, model)::text, ',' order by product_id))::uuid
            as fingerprint
    from {{ cars }}
{%- endmacro %}

{#- `column` (a month) among the plan's `which` months ('rewrite' or 'read'); every month: true. -#}
{% macro month_in(column, plan, which) -%}
    {%- if plan is none -%}
        true
    {%- elif plan[which] -%}
        {{ column }} in ('{{ plan[which] | join("', '") }}')
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#-
    The pre-hook of fct_transactions_month's incremental runs: deletes the rows of the months
    the run writes again (nothing on a full build, which replaces the table).
-#}
{% macro delete_month_rows(transactions, cars, dates) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ month_in('month', monthly_rewrite_plan(transactions, cars, dates), 'rewrite') }}
    {%- endif -%}
{%- endmacro %}
