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
