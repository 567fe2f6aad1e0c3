{#-
    Post-hook of the incremental models: ANALYZE the table when it has no statistics yet, i.e.
    when this run built it (a first or full build). Without statistics the planner guesses
    that a third of the rows pass a watermark filter (`_dbt_updated_at > ...`, `loaded_at >
    ...`) and scans the history, and the next models of the build and its tests read this table
    at once; autovacuum gets there later (at 10M rows, minutes later). A table that has
    statistics is left to autovacuum: a watermark above its histogram is estimated from the
    index's actual maximum, so stale statistics still give the index plan.
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
