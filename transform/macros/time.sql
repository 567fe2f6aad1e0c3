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
    {%- set ns = namespace(data_type='timestamp with time zone') -%}
    {%- if execute -%}
        {%- for col in adapter.get_columns_in_relation(relation) -%}
            {%- if col.name | lower == column | lower -%}
                {%- set ns.data_type = col.data_type | lower -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set quoted = adapter.quote(column) if column | lower in ('timestamp',) else column -%}
    {%- if 'without time zone' in ns.data_type or ns.data_type == 'timestamp' -%}
        ({{ quoted }} at time zone 'UTC')
    {%- else -%}
        {{ quoted }}::timestamptz
    {%- endif -%}
{%- endmacro %}

{#-
    When a raw row was loaded, as timestamptz: the loader's `_sdc_batched_at`, or, on the BATCH
    path (whose records carry no load time), the tap's `_sdc_extracted_at`. The watermark of the
    incremental staging tables.
-#}
{% macro load_time(relation) -%}
    coalesce(
        {{ source_utc(relation, '_sdc_batched_at') }},
        {{ source_utc(relation, '_sdc_extracted_at') }}
    )
{%- endmacro %}
