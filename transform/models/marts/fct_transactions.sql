{{
    config(
        materialized='incremental',
        unique_key='transaction_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        indexes=[
            {'columns': ['transaction_id'], 'unique': true},
            {'columns': ['sale_date']},
            {'columns': ['product_id', 'sold_at']},
            {'columns': ['is_unknown_client', 'client_id']},
            {'columns': ['loaded_at']},
            {'columns': ['_dbt_updated_at']},
        ],
        post_hook="{{ analyze_if_new() }}",
    )
}}

-- Grain: one sale, valued at the catalog version in force when it was sold
-- (dim_car_versions). Incremental, pattern 1 (docs/transform.md): a run reads the staging rows
-- loaded after the newest load already here (minus `load_lookback_minutes`) and the sales the
-- catalog values again (`revalued`), and of those keeps only new or changed sales (by row
-- hash), so re-delivered identical records touch nothing. A sale that a run moved to another
-- day keeps the day it left (moved_from_sale_date) for the daily marts.
with

-- Read twice on incremental runs (new rows, re-valued rows): not materialized, or PostgreSQL
-- would copy all of staging into the CTE before filtering it.
staged as not materialized (

    select * from {{ ref('stg_files__transactions') }}

),

{% if is_incremental() %}

    -- Sales to value again: those of a car whose catalog version the snapshot recorded since
    -- this table's last run, from that version's first sale time on (a new price or name, a car
    -- back in the catalog, an operator's restatement, a car seen for the first time: its first
    -- version prices from -infinity), and those of a client held as unknown that the client
    -- file now knows. Through the indexes on (product_id, sold_at) and (is_unknown_client,
    -- client_id) (dim_car_versions is analysed as it is built, so the planner knows how few
    -- versions are new): nothing to read on a day without catalog change.
    revalued as (

        select valued.transaction_id
        from {{ ref('dim_car_versions') }} as versions
        inner join {{ this }} as valued
            on
                versions.product_id = valued.product_id
                and valued.sold_at >= versions.priced_from
        where versions.recorded_at > {{ watermark('_dbt_updated_at') }}
        union
        select valued.transaction_id
        from {{ this }} as valued
        inner join {{ ref('dim_clients') }} as known_clients
            on valued.client_id = known_clients.client_id
        where valued.is_unknown_client and not known_clients.is_unknown

    ),

{% endif %}

transactions as (

    select * from staged
    {% if is_incremental() %}
        where loaded_at > {{ watermark('loaded_at', var('load_lookback_minutes')) }}
        union
        -- an array, looked up in staging's unique index (a join would be planned on guesses)
        select * from staged
        where transaction_id = any(array(select revalued.transaction_id from revalued))
    {% endif %}

),

car_versions as (

    select * from {{ ref('dim_car_versions') }}

),

cars as (

    select * from {{ ref('dim_cars') }}

),

clients as (

    select * from {{ ref('dim_clients') }}

),

joined as (

    select
        -- ids
        transactions.transaction_id,
        coalesce(transactions.product_id, -1) as product_id,
        coalesce(transactions.client_id, -1) as client_id,
        car_versions.car_version_id,

        -- numerics
        transactions.quantity,
        transactions.unit_price,
        car_versions.list_price,
        transactions.unit_price * transactions.quantity as turnover,
        car_versions.list_price * transactions.quantity as market_value,

        -- timestamps and local calendar
        transactions.sold_at,
        {{ to_local('transactions.sold_at') }} as sold_at_local,
        {{ to_local('transactions.sold_at') }}::date as sale_date,
        date_trunc('month', {{ to_local('transactions.sold_at') }})::date as sale_month,
        transactions.loaded_at,

        -- flags
        coalesce(cars.is_unknown, true) as is_unknown_car,
        coalesce(clients.is_unknown, true) as is_unknown_client

    from transactions
    left join cars on coalesce(transactions.product_id, -1) = cars.product_id
    left join car_versions
        on
            transactions.product_id = car_versions.product_id
            and transactions.sold_at >= car_versions.priced_from
            and transactions.sold_at < car_versions.priced_until
    left join clients on coalesce(transactions.client_id, -1) = clients.client_id

),

measured as (

    select
        *,
        market_value - turnover as discount,
        (market_value - turnover) / nullif(market_value, 0) as discount_pct,
        -- trim_scale: the hash of a price's value, not of its spelling (12015 = 12015.0)
        md5(
            concat_ws(
                '|', transaction_id, product_id, client_id, quantity, trim_scale(unit_price),
                trim_scale(list_price), extract(epoch from sold_at), car_version_id,
                is_unknown_car, is_unknown_client
            )
        ) as row_hash
    from joined

),

changed as (

    select
        measured.*,
        {% if is_incremental() %}
            case
                when previous_version.sale_date != measured.sale_date
                    then previous_version.sale_date
            end as moved_from_sale_date
        {% else %}
            null::date as moved_from_sale_date
        {% endif %}
    from measured
    {% if is_incremental() %}
        left join {{ this }} as previous_version
            on measured.transaction_id = previous_version.transaction_id
        where
            previous_version.transaction_id is null
            or previous_version.row_hash != measured.row_hash
    {% endif %}

),

final as (

    select
        transaction_id,
        product_id,
        client_id,
        car_version_id,
        quantity,
        unit_price,
        list_price,
        turnover,
        market_value,
        discount,
        discount_pct,
        sold_at,
        sold_at_local,
        sale_date,
        sale_month,
        moved_from_sale_date,
        is_unknown_car,
        is_unknown_client,
        loaded_at,
        row_hash,
        now() as _dbt_updated_at
    from changed

)

select * from final
