{#-
    The sales measures of a report, summed from fct_sales_daily rows (alias `daily`): counts
    stay bigint, and market value is 0 rather than null when no car of the group has a list
    price (the report contract).
-#}
{% macro sum_daily_sales(daily) -%}
    sum({{ daily }}.transactions)::bigint as transactions,
    sum({{ daily }}.units)::bigint as units,
    sum({{ daily }}.turnover) as turnover,
    coalesce(sum({{ daily }}.market_value), 0) as market_value
{%- endmacro %}

{#- Relative change as a fraction (6 decimals); null when the base is null or zero. -#}
{% macro pct_change(current, previous) -%}
    round(({{ current }} - {{ previous }})::numeric / nullif({{ previous }}, 0), 6)
{%- endmacro %}
