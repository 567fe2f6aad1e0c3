{#-
    The newest `column` (a timestamptz) already in this incremental model's table, minus
    `lookback_minutes`, for the model's filter ('-infinity' when the table is empty).

    It is read when the model runs, just before its query, and written into the query as a
    constant. Then the planner sees how few rows are newer (the column's index finds its actual
    maximum) and joins the new rows to the history through its indexes. With the same maximum
    as a subquery inside the filter, it guessed a third of the table and hashed the whole
    history on every run. Microseconds since the epoch as a bigint: exact, no time zone.

    In a dbt unit test `this` is the test's fixture, a CTE of the test's own query (a string,
    not a relation): the maximum stays a subquery there, with the same meaning.
-#}
{% macro watermark(column, lookback_minutes=0) -%}
    {%- set newest -%}
        select max({{ column }}) - interval '{{ lookback_minutes }} minutes' from {{ this }}
    {%- endset -%}
    {%- if this is string -%}
        coalesce(({{ newest }}), '-infinity'::timestamptz)
    {%- else -%}
        {{ timestamp_constant(newest) or "'-infinity'::timestamptz" }}
    {%- endif -%}
{%- endmacro %}

{#-
    The timestamptz that a one-value `query` returns, read now and written as an exact SQL
    constant (microseconds since the epoch as a bigint: no time zone, no rounding). none when
    the value is null, and at parse time, when nothing may be queried.
-#}
{% macro timestamp_constant(query) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set micros_query = 'select (extract(epoch from (' ~ query ~ ')) * 1000000)::bigint' -%}
    {%- set micros = run_query(micros_query).columns[0].values()[0] -%}
    {%- if micros is none -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return("(timestamptz 'epoch' + " ~ micros ~ " * interval '1 microsecond')") -%}
{%- endmacro %}
