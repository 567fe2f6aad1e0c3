-- One row per local calendar day, from the first day of the month of the first sale to the
-- last day of the month of the last sale (reporting timezone): no hard-coded years.
-- The bounds come from the fact's indexed local sale_date: two index probes, not a scan.
with

transactions as (

    select * from {{ ref('fct_transactions') }}

),

bounds as (

    select
        date_trunc(
            'month', coalesce(min(sale_date), {{ to_local('now()') }}::date)
        )::date as first_day,
        (
            date_trunc(
                'month', coalesce(max(sale_date), {{ to_local('now()') }}::date)
            )
            + interval '1 month - 1 day'
        )::date as last_day
    from transactions

),

days as (

    select generate_series(bounds.first_day, bounds.last_day, interval '1 day')::date as date_day
    from bounds

),

final as (

    select
        date_day,
        extract(isodow from date_day)::integer as weekday,
        trim(to_char(date_day, 'Day'))::text as weekday_name,
        extract(isodow from date_day) in (6, 7) as is_weekend,
        extract(day from date_day)::integer as day_of_month,
        extract(week from date_day)::integer as iso_week,
        extract(isoyear from date_day)::integer as iso_year,
        date_trunc('week', date_day)::date as week_start,
        date_trunc('month', date_day)::date as month_start,
        (date_trunc('month', date_day) + interval '1 month - 1 day')::date as month_end,
        extract(month from date_day)::integer as month_of_year,
        trim(to_char(date_day, 'Month'))::text as month_name,
        extract(quarter from date_day)::integer as quarter,
        date_trunc('quarter', date_day)::date as quarter_start,
        extract(year from date_day)::integer as year
    from days

)

select * from final
