{#- Local wall-clock time of a timestamptz in the reporting timezone (var reporting_timezone). -#}
{% macro to_local(column) -%}
    ({{ column }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#-
    A source timestamp column as timestamptz. target-postgres types a date-time `timestamp
    without time zone` and writes UTC wall time in it, read here as UTC whatever the session
    time zone; a raw table created beforehand with `timestamptz` columns keeps them
    (docs/extract.md), and the loader adds its own `_sdc_batched_at` beside them as `timestamp`.
-#}
{% macro source_utc(relation, column) -%}
    {%- if is_wall_time(relation, column) -%}
        ({{ adapter.quote(column) }} at time zone 'UTC')
    {%- else -%}
        {{ adapter.quote(column) }}::timestamptz
    {%- endif -%}
{%- endmacro %}

{% macro is_wall_time(relation, column) -%}
    {%- set types = (adapter.get_columns_in_relation(relation) if execute else [])
        | selectattr('name', 'equalto', column) | map(attribute='data_type') | list -%}
    {%- do return(types == ['timestamp without time zone']) -%}
{%- endmacro %}

{#- When a raw tap-csv row was loaded: the loader's batch time, else (BATCH path) the tap's read time. -#}
{% macro load_time(relation) -%}
    coalesce({{ source_utc(relation, '_sdc_batched_at') }}, {{ source_utc(relation, '_extracted_at') }})
{%- endmacro %}

{#-
    The raw rows loaded after `since` (a timestamptz), and those without a load time. Written on
    the expression load/target-postgres indexes, `coalesce(_sdc_batched_at, _extracted_at)`,
    with `since` in the columns' type; columns of two types have no such index (the coalesce
    would depend on the session time zone), so there it compares `load_time`.
-#}
{% macro loaded_after(relation, since) -%}
    {%- set wall_time = is_wall_time(relation, '_sdc_batched_at') -%}
    {%- if wall_time == is_wall_time(relation, '_extracted_at') -%}
        {%- set loaded = 'coalesce(_sdc_batched_at, _extracted_at)' -%}
        {%- set since = '(' ~ since ~ " at time zone 'UTC')" if wall_time else since -%}
    {%- else -%}
        {%- set loaded = load_time(relation) -%}
    {%- endif -%}
    ({{ loaded }} > {{ since }} or {{ loaded }} is null)
{%- endmacro %}
