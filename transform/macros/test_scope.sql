{#-
    The rows a data test reads, from its `where` config: dbt's own behaviour, plus one
    placeholder that needs the warehouse at run time (a `where` is rendered when the project is
    parsed, and partial parsing reuses it).

    `where: "__latest_run__"`: only the rows of the model's latest run, those with its newest
    `_dbt_updated_at` (one `now()` per run: the run's transaction). A daily incremental run
    then tests the rows it wrote, not the whole history again; a full build tests every row.
    `--vars '{test_all_rows: true}'` tests every row (the weekly `audit` job).
    The newest value is read first and written in as a constant: compared with a subquery, the
    planner, whose statistics may still say the column holds one value (the full build's),
    would expect every row and scan the table instead of using its index.
-#}
{% macro postgres__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == '__latest_run__' -%}
        {%- if var('test_all_rows') -%}
            {%- set where = '' -%}
        {%- else -%}
            {%- set newest = timestamp_constant('select max(_dbt_updated_at) from ' ~ relation) -%}
            {#- null: no run has written the column yet, so no row is the latest run's -#}
            {%- set where = '_dbt_updated_at = ' ~ (newest or 'null') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
