{#-
    A data test's `where`, plus `__latest_run__`, resolved at run time (dbt renders a `where` at
    parse time): only the rows of the model's newest `_dbt_updated_at` (one `now()` per run), as
    a constant for the index; `--vars '{test_all_rows: true}'`: every row (the weekly audit).
-#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == '__latest_run__' -%}
        {#- null: no run has written the column yet, so no row is the latest run's -#}
        {%- set where = '' if var('test_all_rows') else '_dbt_updated_at = ' ~ (
            timestamp_constant('select max(_dbt_updated_at) from ' ~ relation) or 'null') -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
