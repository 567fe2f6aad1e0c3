{#-
    The distinct non-null values of `column` in `relation`, one probe of its index on `column`
    per value (the next value above the last), not a read of every row.
-#}
{% macro distinct_values(relation, column) -%}
    with recursive walk (value) as (
        select min({{ column }}) from {{ relation }}
        union all
        select (
            select min(later.{{ column }}) from {{ relation }} as later
            where later.{{ column }} > walk.value
        )
        from walk
        where walk.value is not null
    )

    select walk.value as {{ column }}
    from walk
    where walk.value is not null
{%- endmacro %}
