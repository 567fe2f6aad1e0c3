{#
    dbt's typed empty row of a contracted model, without its warning about `numeric` without
    precision ("unintended rounding"): in PostgreSQL an unconstrained numeric keeps every digit.
#}
{% macro postgres__get_empty_schema_sql(columns) %}
    {%- set untyped = columns.values() | rejectattr('data_type') | map(attribute='name') | list -%}
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
