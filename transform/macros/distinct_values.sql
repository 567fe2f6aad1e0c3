{#-
    The distinct non-null values of `column` in `relation`, one probe of its index on `column`
    per value (each step asks for the next value above the last): the few car and client ids
    the sales reference, for the dimensions' inferred members, without reading every sale.
-#}
{% macro distinct_values(relation, column) -%}
    with recursive walk (value) as (
        select min({{ column }}) from {{ relation }}
        union all
        select (select min(later.{{ column }}) from {{ relation }} as later where later.{{ column }} > walk.value)
        from walk
        where walk.value is not null
    )

    select walk.value as {{ column }}
    from walk
    where walk.value is not null
{%- endmacro %}
