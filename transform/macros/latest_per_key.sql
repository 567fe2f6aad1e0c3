{#-
    Keep the latest version of each primary key of an append-only raw table.
    `order_by` lists the load metadata, latest first, e.g. `file_version_order()`.
-#}
{% macro latest_per_key(relation, key, order_by) -%}
    select distinct on ({{ key }}) *
    from {{ relation }}
    order by {{ key }}, {{ order_by }}
{%- endmacro %}

{#-
    Which version of a file record wins: the last one delivered, in file order, then line order.
    File order is the order tap-csv reads the files in, their paths' byte order (collation "C":
    PostgreSQL's default collation would sort other than the tap). Within one file, the latest
    read of it comes last (a rewritten file's new content, an appended part), then the line.
    This order is a property of the files alone, not of how their deliveries were split over
    runs: one run over every file and many incremental runs keep the same version.
-#}
{% macro file_version_order() -%}
    _source_file collate "C" desc nulls last, _extracted_at desc nulls last, _source_lineno desc nulls last
{%- endmacro %}

{#-
    `file_version_order` as one comparable row value, for a staged relation (columns
    source_file, extracted_at, source_lineno): nulls sort lowest, as "desc nulls last" ranks them.
-#}
{% macro version_order(alias) -%}
    (
        coalesce({{ alias }}.source_file, '') collate "C",
        coalesce({{ alias }}.extracted_at, '-infinity'::timestamptz),
        coalesce({{ alias }}.source_lineno, -1)
    )
{%- endmacro %}
