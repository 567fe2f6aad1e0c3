-- The client dimension, without personal data: the email stays in staging, only its
-- domain is published. Inferred members for client ids sold to but absent from the client
-- file, and the unknown member -1 for a sale without client id.
with

clients as (

    select * from {{ ref('stg_files__clients') }}

),

sold as (

    -- the client ids sold, one index probe each (macros/distinct_values.sql)
    {{ distinct_values(ref('stg_files__transactions'), 'client_id') }}

),

known as (

    select
        client_id,
        client_name,
        email_domain,
        false as is_unknown
    from clients

),

inferred as (

    select
        sold.client_id,
        ('Unknown #' || sold.client_id::text)::text as client_name,
        null::text as email_domain,
        true as is_unknown
    from sold
    left join clients on sold.client_id = clients.client_id
    where clients.client_id is null

),

unknown_member as (

    select
        -1::bigint as client_id,
        'Unknown'::text as client_name,
        null::text as email_domain,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from inferred
    union all
    select * from unknown_member

)

select * from final
