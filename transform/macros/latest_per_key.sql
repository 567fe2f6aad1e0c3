{#-
    Keep the latest version of each primary key of an append-only raw table.
    `order_by` lists the load metadata, newest first, e.g.
    "_sdc_extracted_at desc, _sdc_source_file_mtime desc, _sdc_source_lineno desc".
-#}
{% macro latest_per_key(relation, key, order_by) -%}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}

{#-
    The version order of `latest_per_key` as one comparable row value, for a staged relation
    (columns extracted_at, source_file_mtime, source_lineno): nulls sort lowest, as "desc nulls
    last" ranks them.
-#}
{% macro version_order(alias) -%}
    (
        coalesce({{ alias }}.extracted_at, '-infinity'::timestamptz),
        coalesce({{ alias }}.source_file_mtime, '-infinity'::timestamptz),
        coalesce({{ alias }}.source_lineno, -1)
    )
{%- endmacro %}
