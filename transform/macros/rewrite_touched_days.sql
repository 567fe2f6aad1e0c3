{#-
    Pattern 2, rewrite the touched days (docs/transform.md): the rows of an incremental daily
    table that its run deletes (pre-hook, `delete_touched_rows`) and sums again whole (its
    query, incremental_strategy 'append'), in one transaction: each day of a sale
    `transactions` (fct_transactions) wrote since this table's newest `_dbt_updated_at`, and
    the day a moved sale left; with `car_versions`, also every row of a car whose catalog
    version (so, maybe, name) was recorded since then. A day left without sales is deleted.
    Arrays of distinct values, not joins: each is looked up in its index (a bitmap OR).
-#}
{% macro touched_rows(transactions, car_versions=none) -%}
    (
        sale_date = any(array(
            select distinct touched.sale_date
            from {{ transactions }} as rewritten
            cross join lateral (
                values (rewritten.sale_date), (rewritten.moved_from_sale_date)
            ) as touched (sale_date)
            where rewritten._dbt_updated_at > {{ watermark('_dbt_updated_at') }}
        ))
        {%- if car_versions is not none %}
            or product_id = any(array(
                select distinct versions.product_id from {{ car_versions }} as versions
                where versions.recorded_at > {{ watermark('_dbt_updated_at') }}
            ))
        {%- endif %}
    )
{%- endmacro %}

{% macro delete_touched_rows(transactions, car_versions=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ touched_rows(transactions, car_versions) }}
    {%- endif -%}
{%- endmacro %}
