{#- Local wall-clock time of a timestamptz in the reporting timezone (var reporting_timezone). -#}
{% macro to_local(column) -%}
    ({{ column }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- Relative change as a fraction (6 decimals); null when the base is null or zero. -#}
{% macro pct_change(current, previous) -%}
    round(({{ current }} - {{ previous }})::numeric / nullif({{ previous }}, 0), 6)
{%- endmacro %}

{#- A source timestamp as timestamptz: a `timestamp without time zone` holds UTC wall time. -#}
{% macro source_utc(relation, column) -%}
    {%- set quoted = adapter.quote(column) if column | lower in ('timestamp',) else column -%}
    {{ as_utc(quoted, is_wall_time(relation, column)) }}
{%- endmacro %}

{%- macro as_utc(expression, wall_time) -%}
    {%- if wall_time -%}
        ({{ expression }} at time zone 'UTC')
    {%- else -%}
        {{ expression }}::timestamptz
    {%- endif -%}
{%- endmacro %}

{#- True when the loader typed `column` as `timestamp without time zone` (UTC wall time). -#}
{% macro is_wall_time(relation, column) -%}
    {%- set ns = namespace(data_type='timestamp with time zone') -%}
    {%- for col in (adapter.get_columns_in_relation(relation) if execute else []) -%}
        {%- if col.name | lower == column | lower -%}
            {%- set ns.data_type = col.data_type | lower -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return('without time zone' in ns.data_type or ns.data_type == 'timestamp') -%}
{%- endmacro %}

{#-
    When a raw tap-csv row was loaded (`_extracted_at` on the BATCH path, which has no batch
    time): load/target-postgres indexes this very expression, so `loaded_after` compares it as is.
-#}
{% macro raw_load_time() -%}
    coalesce(_sdc_batched_at, _extracted_at)
{%- endmacro %}

{% macro load_time(relation) -%}
    {%- set wall_time = is_wall_time(relation, '_sdc_batched_at') -%}
    {%- if wall_time == is_wall_time(relation, '_extracted_at') -%}
        {{ as_utc(raw_load_time(), wall_time) }}
    {%- else -%}
        coalesce({{ source_utc(relation, '_sdc_batched_at') }}, {{ source_utc(relation, '_extracted_at') }})
    {%- endif -%}
{%- endmacro %}

{#- The raw rows loaded after `since` (a timestamptz), and those without a load time. -#}
{% macro loaded_after(relation, since) -%}
    {%- set wall_time = is_wall_time(relation, '_sdc_batched_at') -%}
    {%- if wall_time == is_wall_time(relation, '_extracted_at') -%}
        {%- set bound = '(' ~ since ~ " at time zone 'UTC')" if wall_time else since -%}
        ({{ raw_load_time() }} > {{ bound }} or {{ raw_load_time() }} is null)
    {%- else -%}
        ({{ load_time(relation) }} > {{ since }} or {{ load_time(relation) }} is null)
    {%- endif -%}
{%- endmacro %}
