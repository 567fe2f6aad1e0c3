{#- Local wall-clock time of a timestamptz in the reporting timezone (var reporting_timezone). -#}
{% macro to_local(column) -%}
    ({{ column }} at time zone '{{ var("reporting_timezone") }}')
{%- endmacro %}

{#- Interpret a UTC `timestamp without time zone` (Singer _sdc_* columns) as timestamptz. -#}
{% macro utc_to_tstz(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}

{#- Relative change as a fraction (6 decimals); null when the base is null or zero. -#}
{% macro pct_change(current, previous) -%}
    round(({{ current }} - {{ previous }})::numeric / nullif({{ previous }}, 0), 6)
{%- endmacro %}

{#-
    A source timestamp column as timestamptz, whatever type the loader gave it: a
    `timestamp without time zone` holds UTC wall time (Singer/target-postgres), so it is read
    as UTC, never in the session's time zone; a timestamptz is kept as is.
-#}
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
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- if col.name | lower == column | lower -%}
                {%- set ns.data_type = col.data_type | lower -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- do return('without time zone' in ns.data_type or ns.data_type == 'timestamp') -%}
{%- endmacro %}

{#-
    When a raw row of a tap-csv table was loaded, in the raw columns' own type: the loader's
    `_sdc_batched_at`, or, on the BATCH path (whose records carry no load time), the tap's
    `_extracted_at`. The project's loader indexes exactly this expression (a BRIN index,
    load/target-postgres), so a filter on it reads only the pages of the newest loads.
-#}
{% macro raw_load_time() -%}
    coalesce(_sdc_batched_at, _extracted_at)
{%- endmacro %}

{#- The load time as timestamptz: the watermark of the incremental staging tables. -#}
{% macro load_time(relation) -%}
    {%- set wall_time = is_wall_time(relation, '_sdc_batched_at') -%}
    {%- if wall_time == is_wall_time(relation, '_extracted_at') -%}
        {{ as_utc(raw_load_time(), wall_time) }}
    {%- else -%}
        coalesce({{ source_utc(relation, '_sdc_batched_at') }}, {{ source_utc(relation, '_extracted_at') }})
    {%- endif -%}
{%- endmacro %}

{#-
    The raw rows loaded after `since` (a timestamptz), and those without any load time (never
    skipped: re-read and compared every run). Written on `raw_load_time()` itself, the constant
    turned into the columns' type, so that the raw table's load-time index answers it.
-#}
{% macro loaded_after(relation, since) -%}
    {%- set wall_time = is_wall_time(relation, '_sdc_batched_at') -%}
    {%- if wall_time == is_wall_time(relation, '_extracted_at') -%}
        {%- set bound = '(' ~ since ~ " at time zone 'UTC')" if wall_time else since -%}
        ({{ raw_load_time() }} > {{ bound }} or {{ raw_load_time() }} is null)
    {%- else -%}
        ({{ load_time(relation) }} > {{ since }} or {{ load_time(relation) }} is null)
    {%- endif -%}
{%- endmacro %}
