{#-
    A previous-period column is null exactly on the first month of the model and filled on
    every later one (the original tested such columns not_null, which the first month breaks).
-#}
{% test null_only_in_first_month(model, column_name, month_column='month') %}

with

bounds as (
    select min({{ month_column }}) as first_month from {{ model }}
)

select
    {{ month_column }},
    {{ column_name }}
from {{ model }}
cross join bounds
where
    ({{ month_column }} = bounds.first_month and {{ column_name }} is not null)
    or ({{ month_column }} > bounds.first_month and {{ column_name }} is null)

{% endtest %}
