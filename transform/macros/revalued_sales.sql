{#-
    The sales of fct_transactions that an incremental run values again, as a predicate on the
    fact's columns (none when there are none):
    - the sales of a car whose catalog version the snapshot recorded since the fact's last run
      (its newest `_dbt_updated_at`), from the version's first sale time on: a new price or
      name, a car back in the catalog, an operator's correction of a version (which sets its
      `dbt_updated_at`), and every sale of a car seen in the catalog for the first time (its
      sales were valued by the inferred member);
    - every sale of a client that the fact holds as unknown and the client file now knows.
    Both are found through the fact's indexes on (product_id, sold_at) and (client_id,
    is_unknown_client), and are nothing on a day without catalog change: then the run reads
    what it read before. Read once, when the model runs; written into the query as constants.
-#}
{% macro revalued_sales(car_versions, clients) -%}
    {%- if not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set query -%}
        with

        revalued_cars as (

            select
                product_id,
                min(priced_from) as priced_from
            from {{ car_versions }}
            where recorded_at > {{ watermark('_dbt_updated_at') }}
            group by product_id

        ),

        arrived_clients as (

            select clients.client_id
            from {{ clients }} as clients
            where
                not clients.is_unknown
                and exists (
                    select from {{ this }} as valued
                    where valued.client_id = clients.client_id and valued.is_unknown_client
                )

        ),

        predicates as (

            select format('(product_id = %s and sold_at >= %L::timestamptz)', product_id, priced_from)
                as predicate
            from revalued_cars
            union all
            select format('client_id in (%s)', string_agg(client_id::text, ', ' order by client_id))
            from arrived_clients
            having count(*) > 0

        )

        select string_agg(predicate, ' or ') from predicates
    {%- endset -%}
    {%- set predicate = run_query(query).columns[0].values()[0] -%}
    {%- do return(('(' ~ predicate ~ ')') if predicate else none) -%}
{%- endmacro %}
