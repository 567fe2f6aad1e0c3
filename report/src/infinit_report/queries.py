"""The one query module of the reports and the cockpit.

Every number shown anywhere comes from a function here: parameterised SQL on the
`reports.rpt_*` tables built by dbt, run through a read-only session of the reader role
(WAREHOUSE_READER_USER), which can only see the schemas marts and reports.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

Row = dict[str, Any]
SCHEMA = "reports"


# --- connection ----------------------------------------------------------------------
def conninfo(env: Mapping[str, str] | None = None) -> str:
    """libpq key/value string of the reader role. Carries a password: never log it."""
    env = os.environ if env is None else env
    missing = [name for name in ("WAREHOUSE_READER_USER", "WAREHOUSE_READER_PASSWORD") if not env.get(name)]
    if missing:
        raise RuntimeError(f"{' and '.join(missing)} not set: the reports read the warehouse as the reader role")
    return psycopg.conninfo.make_conninfo(
        host=env.get("WAREHOUSE_HOST", "127.0.0.1"),
        port=env.get("WAREHOUSE_PORT", "5432"),
        dbname=env.get("WAREHOUSE_DB", "warehouse"),
        user=env["WAREHOUSE_READER_USER"],
        password=env["WAREHOUSE_READER_PASSWORD"],
        application_name="infinit-reports",
        connect_timeout="10",
        # Read-only at the session level: even a bug here cannot write to the warehouse.
        options="-c default_transaction_read_only=on -c statement_timeout=60000",
    )


def connect(env: Mapping[str, str] | None = None) -> psycopg.Connection[Row]:
    conn = psycopg.connect(conninfo(env), autocommit=True, row_factory=dict_row)
    conn.read_only = True
    return conn


def _all(
    conn: psycopg.Connection[Row], query: str | sql.Composed, params: Mapping[str, Any] | None = None
) -> list[Row]:
    return conn.execute(query, params).fetchall()  # type: ignore[arg-type]


def _one(conn: psycopg.Connection[Row], query: str, params: Mapping[str, Any] | None = None) -> Row | None:
    return conn.execute(query, params).fetchone()  # type: ignore[arg-type]


# rpt_monthly_sales may carry calendar months beyond the data (zeros): keep the sales range.
_SALES_RANGE = """
    select month from reports.rpt_monthly_sales
    where month between (select min(month) from reports.rpt_monthly_sales where transactions > 0)
                    and (select max(month) from reports.rpt_monthly_sales where transactions > 0)
"""


# --- months --------------------------------------------------------------------------
def months(conn: psycopg.Connection[Row]) -> list[date]:
    """Every month from the first to the last with sales (quiet months between included), oldest first."""
    return [r["month"] for r in _all(conn, _SALES_RANGE + " order by month")]


def latest_complete_month(conn: psycopg.Connection[Row], today: date) -> date | None:
    """The newest month with sales that ended before `today` (a month in progress is not reported)."""
    row = _one(
        conn,
        f"select max(month) as month from ({_SALES_RANGE}) as m where month < date_trunc('month', %(today)s::date)",
        {"today": today},
    )
    return None if row is None else row["month"]


# --- monthly -------------------------------------------------------------------------
def monthly_kpis(conn: psycopg.Connection[Row], month: date) -> Row | None:
    """One row of rpt_monthly_sales: the month's KPIs with their MoM and YoY comparisons."""
    return _one(conn, "select * from reports.rpt_monthly_sales where month = %(month)s", {"month": month})


def monthly_series(conn: psycopg.Connection[Row], start: date | None = None, end: date | None = None) -> list[Row]:
    """rpt_monthly_sales between two months (inclusive; open ends allowed), oldest first."""
    return _all(
        conn,
        """
        select * from reports.rpt_monthly_sales
        where (%(start)s::date is null or month >= %(start)s::date)
          and (%(end)s::date is null or month <= %(end)s::date)
        order by month
        """,
        {"start": start, "end": end},
    )


def brand_ranking(conn: psycopg.Connection[Row], month: date, limit: int | None = None) -> list[Row]:
    return _all(
        conn,
        """
        select brand, transactions, units, turnover, market_value, turnover_rank, turnover_share
        from reports.rpt_monthly_brand_sales
        where month = %(month)s
        order by turnover_rank, brand
        limit %(limit)s
        """,
        {"month": month, "limit": limit},
    )


def model_ranking(conn: psycopg.Connection[Row], month: date, limit: int | None = None) -> list[Row]:
    return _all(
        conn,
        """
        select product_id, brand, model, transactions, units, turnover, market_value,
               turnover_rank, turnover_share
        from reports.rpt_monthly_model_sales
        where month = %(month)s
        order by turnover_rank, product_id
        limit %(limit)s
        """,
        {"month": month, "limit": limit},
    )


def client_ranking(conn: psycopg.Connection[Row], month: date, limit: int | None = None) -> list[Row]:
    return _all(
        conn,
        """
        select client_id, client_name, email_domain, transactions, units, turnover,
               turnover_rank, turnover_share
        from reports.rpt_monthly_client_sales
        where month = %(month)s
        order by turnover_rank, client_id
        limit %(limit)s
        """,
        {"month": month, "limit": limit},
    )


def brand_turnover_series(
    conn: psycopg.Connection[Row], start: date | None = None, end: date | None = None
) -> list[Row]:
    """Monthly turnover per brand (the trend chart of the Monthly analysis)."""
    return _all(
        conn,
        """
        select month, brand, turnover, units, transactions
        from reports.rpt_monthly_brand_sales
        where (%(start)s::date is null or month >= %(start)s::date)
          and (%(end)s::date is null or month <= %(end)s::date)
        order by month, brand
        """,
        {"start": start, "end": end},
    )


# --- daily ---------------------------------------------------------------------------
def _daily_filters(
    start: date,
    end: date,
    brands: Sequence[str] | None,
    product_ids: Sequence[int] | None,
    client_ids: Sequence[int] | None,
) -> tuple[sql.Identifier, dict[str, Any]]:
    # A client filter needs the client grain; otherwise the smaller product grain answers.
    table = "rpt_daily_client_sales" if client_ids else "rpt_daily_sales"
    params = {
        "start": start,
        "end": end,
        "brands": list(brands) if brands else None,
        "products": list(product_ids) if product_ids else None,
        "clients": list(client_ids) if client_ids else None,
    }
    return sql.Identifier(SCHEMA, table), params


_DAILY_WHERE = """
    where sale_date between %(start)s and %(end)s
      and (%(brands)s::text[] is null or brand = any(%(brands)s::text[]))
      and (%(products)s::bigint[] is null or product_id = any(%(products)s::bigint[]))
      {client_clause}
"""


def _where(client_ids: Sequence[int] | None) -> str:
    clause = "and client_id = any(%(clients)s::bigint[])" if client_ids else ""
    return _DAILY_WHERE.format(client_clause=clause)


def daily_sales(
    conn: psycopg.Connection[Row],
    start: date,
    end: date,
    brands: Sequence[str] | None = None,
    product_ids: Sequence[int] | None = None,
    client_ids: Sequence[int] | None = None,
) -> list[Row]:
    """Sales per day, brand and model in [start, end] (Europe/Paris days), filtered."""
    table, params = _daily_filters(start, end, brands, product_ids, client_ids)
    if client_ids:  # day x client x model rows: add the chosen clients up per day and model
        query = sql.SQL(
            "select sale_date, brand, model, product_id, sum(transactions)::bigint as transactions,"
            " sum(units)::bigint as units, sum(turnover) as turnover, sum(market_value) as market_value"
            " from {table}" + _where(client_ids) + " group by sale_date, brand, model, product_id"
            " order by sale_date, brand, model"
        ).format(table=table)
    else:  # rpt_daily_sales is already one row per day and model: no aggregation (all time = 6k rows)
        query = sql.SQL(
            "select sale_date, brand, model, product_id, transactions, units, turnover, market_value"
            " from {table}" + _where(client_ids) + " order by sale_date, brand, model"
        ).format(table=table)
    return _all(conn, query, params)


def daily_kpis(
    conn: psycopg.Connection[Row],
    start: date,
    end: date,
    brands: Sequence[str] | None = None,
    product_ids: Sequence[int] | None = None,
    client_ids: Sequence[int] | None = None,
) -> Row:
    """The sums behind the Daily cockpit's KPI cards (kpis.DAILY, through kpis.derive)."""
    table, params = _daily_filters(start, end, brands, product_ids, client_ids)
    query = sql.SQL(
        "select coalesce(sum(transactions), 0) as transactions, coalesce(sum(units), 0) as units,"
        " coalesce(sum(turnover), 0) as turnover, coalesce(sum(market_value), 0) as market_value from {table}"
        + _where(client_ids)
    ).format(table=table)
    return _all(conn, query, params)[0]


def daily_bounds(conn: psycopg.Connection[Row]) -> Row:
    """First and last sale day (to bound the date filter)."""
    return _all(conn, "select min(sale_date) as first_day, max(sale_date) as last_day from reports.rpt_daily_sales")[0]


def products(conn: psycopg.Connection[Row]) -> list[Row]:
    """Brand and model of every product that ever sold (the filter options)."""
    return _all(conn, "select distinct product_id, brand, model from reports.rpt_daily_sales order by brand, model")


def clients(conn: psycopg.Connection[Row]) -> list[Row]:
    """Every client who ever bought (the filter options): the client dimension, probed by index,
    rather than a `distinct` over every day of rpt_daily_client_sales."""
    return _all(
        conn,
        """
        select clients.client_id, clients.client_name
        from marts.dim_clients as clients
        where exists (
            select from reports.rpt_daily_client_sales as daily where daily.client_id = clients.client_id
        )
        order by clients.client_name, clients.client_id
        """,
    )


# --- data quality --------------------------------------------------------------------
def data_quality(conn: psycopg.Connection[Row]) -> list[Row]:
    """Per source: rows loaded, current, quarantined, and the last load time."""
    return _all(
        conn,
        "select source, rows_loaded, rows_current, rows_quarantined, last_loaded_at"
        " from reports.rpt_data_quality order by source",
    )


def quarantine(conn: psycopg.Connection[Row], month: date) -> list[Row]:
    """Rows set aside by the quality checks for sales of `month`, per source and reason."""
    return _all(
        conn,
        """
        select source, reason, sum(quarantined_rows) as quarantined_rows
        from reports.rpt_quarantine_monthly
        where month = %(month)s
        group by source, reason
        order by source, reason
        """,
        {"month": month},
    )


def catalog_versions(conn: psycopg.Connection[Row], month: date) -> list[Row]:
    """The catalog versions that valued `month`'s sales, for the cars whose list price changed during it."""
    return _all(
        conn,
        "select brand, model, version_number, list_price, in_force_from, in_force_until"
        " from reports.rpt_monthly_catalog_versions where month = %(month)s order by brand, model, in_force_from",
        {"month": month},
    )
