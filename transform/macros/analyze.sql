{#-
    Post-hook of the incremental models: ANALYZE a table without statistics (a first or full
    build), or the planner takes a third of it as newer than a watermark and scans it all.
-#}
{% macro analyze_if_new() -%}
    {%- if execute -%}
        {%- set never_analysed = run_query(
            "select coalesce(last_analyze, last_autoanalyze) is null from pg_stat_user_tables"
            ~ " where relid = '" ~ this.include(database=false) ~ "'::regclass"
        ).columns[0].values() -%}
        {%- if never_analysed and never_analysed[0] -%}
            analyze {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
