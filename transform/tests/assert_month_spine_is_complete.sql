-- rpt_monthly_sales has every month between the first and the last sale, none missing
-- (the original hard-coded its month list).
with

-- By sale_date, which the fact indexes: two index probes, not a scan of the fact.
bounds as (

    select
        date_trunc('month', min(sale_date))::date as first_month,
        date_trunc('month', max(sale_date))::date as last_month
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
