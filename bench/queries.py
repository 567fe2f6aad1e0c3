"""Latency of the report and cockpit queries (infinit_report.queries), as the reader role.

Each scenario is one call the monthly report or the Daily cockpit makes; each runs
`runs` times on one warm connection (as the cockpit holds one), after one warm-up call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from infinit_report import queries as q


def scenarios(conn: Any) -> dict[str, Callable[[], object]]:
    months = q.months(conn)
    last = months[-1]
    bounds = q.daily_bounds(conn)
    first_day, last_day = bounds["first_day"], bounds["last_day"]
    month_start = last_day.replace(day=1)
    quarter_start = last_day - timedelta(days=90)
    return {
        "months": lambda: q.months(conn),
        "monthly_kpis": lambda: q.monthly_kpis(conn, last),
        "monthly_series": lambda: q.monthly_series(conn),
        "brand_ranking": lambda: q.brand_ranking(conn, last),
        "model_ranking": lambda: q.model_ranking(conn, last),
        "client_ranking": lambda: q.client_ranking(conn, last, 10),
        "brand_turnover_series": lambda: q.brand_turnover_series(conn),
        "daily_bounds": lambda: q.daily_bounds(conn),
        "filter_products": lambda: q.products(conn),
        "filter_clients": lambda: q.clients(conn),
        "daily_kpis_all_time": lambda: q.daily_kpis(conn, first_day, last_day),
        "daily_sales_all_time": lambda: q.daily_sales(conn, first_day, last_day),
        "daily_sales_month": lambda: q.daily_sales(conn, month_start, last_day),
        "daily_sales_quarter_brand": lambda: q.daily_sales(conn, quarter_start, last_day, brands=["Peugeot"]),
        "daily_kpis_all_time_client": lambda: q.daily_kpis(conn, first_day, last_day, client_ids=[201]),
        "daily_sales_all_time_client": lambda: q.daily_sales(conn, first_day, last_day, client_ids=[201, 202]),
        "daily_sales_month_client_model": lambda: q.daily_sales(
            conn, month_start, last_day, product_ids=[101], client_ids=[205]
        ),
        "data_quality": lambda: q.data_quality(conn),
        "quarantine": lambda: q.quarantine(conn, last),
    }


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def run(env: dict[str, str], runs: int) -> dict[str, Any]:
    """{scenario: {p50_ms, p95_ms, max_ms, rows}} and the p95 over every call."""
    results: dict[str, Any] = {}
    every: list[float] = []
    with q.connect(env) as conn:
        for name, call in scenarios(conn).items():
            value = call()  # warm-up: plans and pages in cache, as in a running cockpit
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1000)
            every.extend(times)
            rows = len(value) if isinstance(value, list) else 1
            results[name] = {
                "p50_ms": round(statistics.median(times), 2),
                "p95_ms": round(percentile(times, 95), 2),
                "max_ms": round(max(times), 2),
                "rows": rows,
            }
    return {
        "runs": runs,
        "scenarios": results,
        "p50_ms": round(statistics.median(every), 2),
        "p95_ms": round(percentile(every, 95), 2),
        "worst_p95_ms": max(r["p95_ms"] for r in results.values()),
        "worst_p95_scenario": max(results, key=lambda k: results[k]["p95_ms"]),
    }
