{#-
    The distinct non-null values of `column` in `relation`. When the relation has a btree index
    led by that column, one index probe per value (PostgreSQL's "loose index scan": each step
    asks for the next value above the last one) instead of reading every row: what the
    dimensions' inferred members need from staging, the few car and client ids its sales
    reference. Without such an index (a table built before it had one, until its next full
    refresh; a unit test's fixture), a plain `select distinct`.
-#}
{% macro distinct_values(relation, column) -%}
    {%- if has_index_on(relation, column) %}
    with recursive walk (value) as (
        (
            select first_row.{{ column }}
            from {{ relation }} as first_row
            where first_row.{{ column }} is not null
            order by first_row.{{ column }}
            limit 1
        )
        union all
        select (
            select next_row.{{ column }}
            from {{ relation }} as next_row
            where next_row.{{ column }} > walk.value
            order by next_row.{{ column }}
            limit 1
        )
        from walk
        where walk.value is not null
    )

    select walk.value as {{ column }}
    from walk
    where walk.value is not null
    {%- else %}
    select distinct {{ column }}
    from {{ relation }}
    where {{ column }} is not null
    {%- endif %}
{%- endmacro %}

{#- True when `relation` (a table) has a valid btree index whose first column is `column`. -#}
{% macro has_index_on(relation, column) -%}
    {%- if not execute or relation is string -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set query -%}
        select count(*) > 0
        from pg_index as ix
        inner join pg_class as index_class on ix.indexrelid = index_class.oid
        inner join pg_am as am on index_class.relam = am.oid
        inner join pg_attribute as att
            on ix.indrelid = att.attrelid and ix.indkey[0] = att.attnum
        where
            ix.indrelid = to_regclass(format('%I.%I', '{{ relation.schema }}', '{{ relation.identifier }}'))
            and att.attname = '{{ column }}'
            and am.amname = 'btree'
            and ix.indisvalid
    {%- endset -%}
    {%- do return(run_query(query).columns[0].values()[0]) -%}
{%- endmacro %}
