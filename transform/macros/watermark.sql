{#-
    The newest `column` (a timestamptz) in this incremental model's table, minus
    `lookback_minutes` ('-infinity' when empty): the watermark of both incremental patterns.
    Read just before the model runs and written in as a constant, so the planner sees how few
    rows are newer and probes the indexes (with a subquery it guessed a third of the table and
    hashed the history). In a unit test `this` is a CTE (a string): a subquery there.
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

{#- A one-value timestamptz `query`'s result as an exact constant (µs since the epoch); none if null. -#}
{% macro timestamp_constant(query) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set micros_query = 'select (extract(epoch from (' ~ query ~ ')) * 1000000)::bigint' -%}
    {%- set micros = run_query(micros_query).columns[0].values()[0] -%}
    {%- do return(none if micros is none else
        "(timestamptz 'epoch' + " ~ micros ~ " * interval '1 microsecond')") -%}
{%- endmacro %}
