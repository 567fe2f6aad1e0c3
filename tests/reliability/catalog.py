"""Helpers of the catalog-history tests: edit the operational catalog, drop sales and clients
that refer to it, read back what the warehouse made of them.

Sale times are real instants around "now": a catalog version starts when the snapshot of a
real `meltano run elt` sees it, so a sale is older or newer than a price change by the wall
clock of the test.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from infinit.stack import Stack
from tests.reliability import pipeline


@dataclass(frozen=True)
class Sale:
    transaction_id: int
    product_id: int
    client_id: int
    quantity: int
    sold_at: datetime
    price: Decimal = Decimal("15000.00")


def now() -> datetime:
    return datetime.now(UTC)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    return (month_start(day) - timedelta(days=1)).replace(day=1)


def write_demo_around_now(stack: Stack, transactions: int) -> None:
    """The demo drops and the 10-car catalog (reset), with sales over last month and this one
    (this month's run past today: sales newer than any catalog change the test makes)."""
    today = now().date()
    pipeline.write_demo(stack, transactions, shape="clean", months=(f"{previous_month(today):%Y-%m}", f"{today:%Y-%m}"))


def drop_sales(stack: Stack, name: str, sales: list[Sale]) -> None:
    """A new clean-shape transactions file in the drop folder."""
    path = stack.drops / f"transactions_{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["transaction_id", "product_id", "client_id", "quantity", "price", "timestamp"])
        for sale in sales:
            stamp = sale.sold_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([sale.transaction_id, sale.product_id, sale.client_id, sale.quantity, sale.price, stamp])


def drop_clients(stack: Stack, name: str, clients: dict[int, str]) -> None:
    """A new clients file: client id -> name."""
    rows = [{"client_id": cid, "name": label, "email": f"c{cid}@example.org"} for cid, label in clients.items()]
    (stack.drops / f"clients_{name}.json").write_text(json.dumps(rows, indent=4) + "\n", encoding="utf-8")


def catalog(stack: Stack, *statements: str) -> None:
    """Edit the operational `cars` table."""
    with stack.operations() as ops:
        for statement in statements:
            ops.execute(statement)  # type: ignore[arg-type]  # the test's own SQL


def valued(stack: Stack, transaction_id: int) -> tuple:
    """(car_version_id, list_price, market_value, is_unknown_car, is_unknown_client) of a sale."""
    return stack.query(
        "select car_version_id, list_price, market_value, is_unknown_car, is_unknown_client"
        " from marts.fct_transactions where transaction_id = %s",
        (transaction_id,),
    )[0]


def last_written(stack: Stack) -> set[int]:
    """The sales the fact's latest run (re)wrote."""
    rows = stack.query(
        "select transaction_id from marts.fct_transactions"
        " where _dbt_updated_at = (select max(_dbt_updated_at) from marts.fct_transactions)"
    )
    return {int(r[0]) for r in rows}


def ids(stack: Stack, sql: str) -> set[int]:
    return {int(r[0]) for r in stack.query(sql)}
