{#-
    A data test's `where`, plus `__latest_run__`, resolved at run time (dbt renders a `where` at
    parse time): only the rows of the model's newest `_dbt_updated_at` (one `now()` per run), as
    a constant for the index; `--vars '{test_all_rows: true}'`: every row (the weekly audit).
    Any other `where` is dbt's own.
-#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- if config.get('where') != '__latest_run__' -%}
        {%- do return(default__get_where_subquery(relation)) -%}
    {%- elif var('test_all_rows') -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {#- null: no run has written the column yet, so no row is the latest run's -#}
    {%- set latest = timestamp_constant('select max(_dbt_updated_at) from ' ~ relation) or 'null' -%}
    {%- do return('(select * from ' ~ relation ~ ' where _dbt_updated_at = ' ~ latest ~ ') dbt_subquery') -%}
{%- endmacro %}
