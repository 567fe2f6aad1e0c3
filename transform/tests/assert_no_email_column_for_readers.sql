-- The report reader sees marts and reports: no column there may carry an email address.
select
    table_schema,
    table_name,
    column_name
from information_schema.columns
where
    table_schema in (
        '{{ generate_schema_name("marts", none) }}',
        '{{ generate_schema_name("reports", none) }}'
    )
    and column_name ilike '%email%'
    and column_name != 'email_domain'
