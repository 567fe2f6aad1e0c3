{#-
    Previous-period columns are null exactly on the first month of the model and filled on
    every later one (the original tested such columns not_null, which the first month breaks).
    Model-level, one node for all of a model's `columns`: a failing row names its month and
    column.
-#}
{% test null_only_in_first_month(model, columns, month_column='month') %}

with

bounds as (
    select min({{ month_column }}) as first_month from {{ model }}
)

{% for column in columns %}
    select
        {{ month_column }},
        '{{ column }}' as column_name
    from {{ model }}
    cross join bounds
    where
        ({{ month_column }} = bounds.first_month and {{ column }} is not null)
        or ({{ month_column }} > bounds.first_month and {{ column }} is null)
    {% if not loop.last %}union all{% endif %}
{% endfor %}

{% endtest %}
