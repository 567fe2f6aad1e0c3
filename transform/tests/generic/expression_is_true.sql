{#- Every row satisfies a boolean SQL expression (our own: no dbt_utils offline). -#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not (
    {%- if column_name is not none %} {{ column_name }} {% endif %} {{ expression }}
)

{% endtest %}
