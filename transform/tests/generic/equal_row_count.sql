{#- The model has as many rows as another relation (optionally filtered). -#}
{% test equal_row_count(model, compare_model, compare_where=none) %}

with

actual as (
    select count(*) as row_count from {{ model }}
),

expected as (
    select count(*) as row_count from {{ compare_model }}
    {% if compare_where %} where {{ compare_where }} {% endif %}
)

select
    actual.row_count as actual_rows,
    expected.row_count as expected_rows
from actual
cross join expected
where actual.row_count != expected.row_count

{% endtest %}
