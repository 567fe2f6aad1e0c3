{#-
    The time a snapshot stamps on the versions it writes (dbt_valid_from, dbt_valid_to,
    dbt_updated_at), as timestamptz. dbt-postgres' own is `now()::timestamp without time
    zone`: the wall time of the session's time zone, which depends on the server's settings;
    an instant cannot be misread.
-#}
{% macro postgres__snapshot_get_time() -%}
    current_timestamp
{%- endmacro %}
