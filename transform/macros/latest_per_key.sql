{#- The latest version of each key of an append-only raw table (`order_by`: latest first). -#}
{% macro latest_per_key(relation, key, order_by) -%}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}

{#-
    Which version of a file record wins: the last one delivered, in file order (the paths' byte
    order, collation "C", as tap-csv reads them), then the latest read of the file, then the
    line. A property of the files alone, not of how their deliveries were split over runs.
-#}
{% macro file_version_order() -%}
    _source_file collate "C" desc nulls last, _extracted_at desc nulls last, _source_lineno desc nulls last
{%- endmacro %}

{#- `file_version_order` as a comparable row value of a staged relation (nulls lowest). -#}
{% macro version_order(alias) -%}
    (
        coalesce({{ alias }}.source_file, '') collate "C",
        coalesce({{ alias }}.extracted_at, '-infinity'::timestamptz),
        coalesce({{ alias }}.source_lineno, -1)
    )
{%- endmacro %}
