{#- The sum of a column equals the sum of a column of another relation (to the cent). -#}
{% test equal_sum(model, column_name, compare_model, compare_column=none, precision=2) %}

with

actual as (
    select coalesce(sum({{ column_name }}), 0) as total from {{ model }}
),

expected as (
    select coalesce(sum({{ compare_column or column_name }}), 0) as total
    from {{ compare_model }}
)

select
    actual.total as actual_total,
    expected.total as expected_total
from actual
cross join expected
where round(actual.total::numeric, {{ precision }}) != round(expected.total::numeric, {{ precision }})

{% endtest %}
