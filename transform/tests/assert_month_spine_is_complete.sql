-- rpt_monthly_sales has every month between the first and the last sale, none missing
-- (the original hard-coded its month list).
with

bounds as (

    select
        min(sale_month) as first_month,
        max(sale_month) as last_month
    from {{ ref('fct_transactions') }}

),

expected as (

    select generate_series(first_month, last_month, interval '1 month')::date as month
    from bounds

)

select expected.month
from expected
left join {{ ref('rpt_monthly_sales') }} as report on expected.month = report.month
where report.month is null
