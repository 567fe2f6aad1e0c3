{#-
    Pattern 2, rewrite the touched days (docs/transform.md, "Incremental models"): the rows of
    an incremental daily table that its next run deletes and writes again, as a predicate on
    its column `sale_date`: every day of a sale that `transactions` (fct_transactions) wrote
    since this table's last run (its newest `_dbt_updated_at`), and the day a moved sale left
    (`moved_from_sale_date`). A day is rewritten whole, so the run sums it as a full build does.
    The model's pre-hook deletes these rows (`delete_touched_rows`) and its query inserts them
    again (incremental_strategy 'append'), in one transaction; a day left without sales is
    deleted and not written again. Both read the watermark before the delete.
-#}
{% macro touched_rows(transactions) -%}
    (
        sale_date in (
            select touched.sale_date
            from {{ transactions }} as rewritten
            cross join lateral (
                values (rewritten.sale_date), (rewritten.moved_from_sale_date)
            ) as touched (sale_date)
            where rewritten._dbt_updated_at > {{ watermark('_dbt_updated_at') }}
        )
    )
{%- endmacro %}

{#- The pre-hook of pattern 2: nothing on a first or full build, which replaces the table. -#}
{% macro delete_touched_rows(transactions) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ touched_rows(transactions) }}
    {%- endif -%}
{%- endmacro %}
