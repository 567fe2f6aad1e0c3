{#
    The typed empty row dbt compares a contracted model's columns with: one `cast(null as
    <data_type>)` per column of the YAML. It replaces dbt's default only to drop its warning
    about `numeric` without precision ("unintended rounding"), which is true of warehouses
    where NUMBER means scale 0. In PostgreSQL an unconstrained numeric keeps every digit the
    query computes, which is what these columns want (prices, sums, shares).
#}
{% macro postgres__get_empty_schema_sql(columns) %}
    {%- set untyped = [] -%}
    {%- for name, column in columns.items() if column.get('data_type') is none -%}
        {%- do untyped.append(name) -%}
    {%- endfor -%}
    {%- if untyped -%}
        {{ exceptions.column_type_missing(column_names=untyped) }}
    {%- endif -%}
    select
    {%- for name, column in columns.items() %}
        {{ cast('null', column['data_type']) }} as
        {{- ' ' ~ (adapter.quote(name) if column.get('quote') else name) }}
        {{- ',' if not loop.last }}
    {%- endfor %}
{% endmacro %}
