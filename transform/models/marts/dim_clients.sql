-- The client dimension, without personal data: the email stays in staging, only its
-- domain is published. Inferred members for client ids sold to but absent from the client
-- file, and the unknown member -1 for a sale without client id.
with

clients as (

    select * from {{ ref('stg_files__clients') }}

),

transactions as (

    select * from {{ ref('stg_files__transactions') }}

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

    select distinct
        transactions.client_id,
        ('Unknown #' || transactions.client_id::text)::text as client_name,
        null::text as email_domain,
        true as is_unknown
    from transactions
    left join clients on transactions.client_id = clients.client_id
    where
        clients.client_id is null
        and transactions.client_id is not null

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
