"""Guarantee: every sale is valued at the catalog version in force when it was sold, through
price changes, renames, removals, restorations, late cars and clients and an operator's
correction, and the incremental runs always equal a `--full-refresh`.

The real stack: the operational `cars` table edited with SQL, sales and clients dropped as
files, `meltano run elt` after each step (tap-postgres with ACTIVATE_VERSION, the dbt snapshot,
the incremental marts).
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from infinit.stack import Stack
from tests.reliability import catalog, pipeline
from tests.reliability.catalog import Sale

SNAPSHOT = "snapshots.snp_operations__cars"


def versions_of(stack: Stack, car: int) -> list[tuple]:
    """(list_price, is_deletion_row, still_open) of each snapshot row of a car, oldest first."""
    return stack.query(
        f"select list_price, dbt_is_deleted = 'True', dbt_valid_to is null from {SNAPSHOT}"
        " where product_id = %s order by dbt_valid_from, dbt_is_deleted",
        (car,),
    )


def test_each_sale_keeps_the_version_in_force_when_it_was_sold(fresh_stack: Stack) -> None:
    stack = fresh_stack
    catalog.write_demo_around_now(stack, 150)
    pipeline.elt(stack)
    closed = catalog.previous_month(catalog.now().date())
    closed_month = "select market_value, discount from reports.rpt_monthly_sales where month = %s"
    closed_before = stack.query(closed_month, (closed,))
    old_101 = catalog.ids(stack, "select transaction_id from marts.fct_transactions where product_id = 101")

    # Sales of a car and a client nobody knows yet, and one sale of car 101 an hour from now.
    start = catalog.now()
    catalog.drop_sales(
        stack,
        "early",
        [
            Sale(900001, 150, 201, 1, start - timedelta(hours=1)),
            Sale(900002, 101, 230, 1, start - timedelta(hours=1)),
            Sale(900003, 101, 201, 2, start + timedelta(hours=1)),
        ],
    )
    pipeline.elt(stack)
    assert catalog.valued(stack, 900001)[1:] == (None, None, True, False)
    assert catalog.valued(stack, 900002)[3:] == (False, True)

    # The catalog changes: a new price, a car removed, the late car and the late client arrive.
    catalog.catalog(
        stack,
        "update cars set price = 17000.00 where car_id = 101",
        "delete from cars where car_id = 102",
        "insert into cars values (150, 'Renault', 'Clio', 15500.00)",
    )
    catalog.drop_clients(stack, "late", {230: "Zoé"})
    pipeline.elt(stack)

    assert versions_of(stack, 101) == [(Decimal("16199.99"), False, False), (Decimal("17000.00"), False, True)]
    assert versions_of(stack, 102) == [(Decimal("13652.99"), False, False), (Decimal("13652.99"), True, True)]
    left = stack.query("select is_active, left_catalog_at is not null from marts.dim_cars where product_id = 102")
    assert left == [(False, True)]
    # Sold before the change: the old price; sold after it: the new one; attached, not inferred.
    assert catalog.valued(stack, 900002)[1:] == (Decimal("16199.99"), Decimal("16199.99"), False, False)
    assert catalog.valued(stack, 900003)[1:] == (Decimal("17000.00"), Decimal("34000.00"), False, False)
    assert catalog.valued(stack, 900001)[1:] == (Decimal("15500.00"), Decimal("15500.00"), False, False)
    assert stack.query("select brand, model from marts.dim_cars where product_id = 150") == [("Renault", "Clio")]
    # Only the sales the catalog re-valued were written again: car 101's sold after the change,
    # every sale of the late car and of the late client.
    changed_at = stack.query(f"select max(dbt_valid_from) from {SNAPSHOT} where product_id = 101")[0][0]
    revalued = catalog.ids(
        stack,
        "select transaction_id from marts.fct_transactions where product_id = 150 or client_id = 230"
        f" or (product_id = 101 and sold_at >= '{changed_at.isoformat()}')",
    )
    assert catalog.last_written(stack) == revalued
    assert old_101 - revalued, "car 101's sales before the change were left alone"
    # A closed month does not move.
    assert stack.query(closed_month, (closed,)) == closed_before

    # Run again, nothing changed: no new version, the removal is not recorded twice.
    rows = pipeline.count(stack, SNAPSHOT)
    before = pipeline.fingerprint(stack)
    pipeline.elt(stack)
    assert pipeline.count(stack, SNAPSHOT) == rows
    assert pipeline.diff(before, pipeline.fingerprint(stack)) == []

    # The removed car comes back: a new version opens. And a price is mistyped: it values a
    # sale, is fixed in the source, then restated by the operator.
    catalog.catalog(
        stack,
        "insert into cars values (102, 'Peugeot', '207', 13652.99)",
        "update cars set price = 1700.00 where car_id = 101",
    )
    pipeline.elt(stack)
    assert versions_of(stack, 102)[-1] == (Decimal("13652.99"), False, True)
    assert stack.query("select is_active, left_catalog_at, versions from marts.dim_cars where product_id = 102") == [
        (True, None, 2)
    ]
    catalog.drop_sales(stack, "mistake", [Sale(900004, 101, 201, 1, catalog.now())])
    catalog.catalog(stack, "update cars set price = 17000.00 where car_id = 101")
    pipeline.elt(stack)
    assert catalog.valued(stack, 900004)[1] == Decimal("1700.00")
    mistaken = stack.query(f"select dbt_scd_id from {SNAPSHOT} where product_id = 101 and list_price = 1700.00")
    with stack.warehouse() as conn:  # the documented restatement (docs/transform.md)
        conn.execute(
            f"update {SNAPSHOT} set list_price = 17000.00, dbt_updated_at = now() where dbt_scd_id = %s",
            (mistaken[0][0],),
        )
    pipeline.dbt_build(stack)
    assert catalog.valued(stack, 900004)[1:3] == (Decimal("17000.00"), Decimal("17000.00"))
    assert catalog.last_written(stack) == {900004}

    # The report of this month names the versions that valued it.
    this_month = catalog.month_start(catalog.now().date())
    out = stack.home / "reports"
    month = f"{this_month:%Y-%m}"
    pipeline.meltano(stack, "invoke", "reports", "monthly", "--month", month, "--no-pdf", "--out", str(out))
    html = (out / f"sales-{this_month:%Y-%m}.html").read_text(encoding="utf-8")
    footer = re.search(r'id="catalog-versions">(.*?)</p>', html, re.S)
    assert footer is not None
    assert "Peugeot 208 version 1" in footer.group(1) and "Peugeot 208 version 2" in footer.group(1)
    assert "Peugeot 207" not in footer.group(1), "a restored car at the same price is no price change"

    assert pipeline.full_refresh_diff(stack) == []


def test_a_catalog_row_that_breaks_the_contract_is_held_back(fresh_stack: Stack) -> None:
    """A negative price, a blank model, a new car without a make: the build passes, each row is
    in the catalog's quarantine with why, the sales keep the last valid version (a car never
    valid stays unknown), and once the source is fixed the next run takes the rows."""
    stack = fresh_stack
    catalog.write_demo_around_now(stack, 60)
    pipeline.elt(stack)
    current = "select rows_current, rows_quarantined from reports.rpt_data_quality where source = 'cars'"
    [(cars, quarantined)] = stack.query(current)
    assert quarantined == 0

    catalog.catalog(
        stack,
        "update cars set price = -1.00 where car_id = 101",
        "update cars set car_model = ' ' where car_id = 102",
        "insert into cars values (150, null, 'Clio', 15500.00)",
    )
    sold = catalog.now()
    catalog.drop_sales(stack, "held", [Sale(910001, 101, 201, 1, sold), Sale(910002, 150, 201, 1, sold)])
    pipeline.elt(stack)  # fails on a non-zero exit: the build goes on

    assert stack.query("select product_id, reason from staging.stg_operations__car_rejects order by product_id") == [
        (101, "out_of_range: price is negative"),
        (102, "missing_required: car_model"),
        (150, "missing_required: car_make"),
    ]
    assert stack.query(current) == [(cars - 2, 3)]
    month = catalog.month_start(sold.astimezone(ZoneInfo("Europe/Paris")).date())
    assert stack.query(
        "select reason, quarantined_rows from reports.rpt_quarantine_monthly"
        " where source = 'cars' and month = %s order by reason",
        (month,),
    ) == [("missing_required: car_make", 1), ("missing_required: car_model", 1), ("out_of_range: price is negative", 1)]
    assert catalog.valued(stack, 910001)[1:4] == (Decimal("16199.99"), Decimal("16199.99"), False)
    assert catalog.valued(stack, 910002)[1:4] == (None, None, True)
    # The month's report says so where its reader looks: the data-quality footer.
    out = stack.home / "reports"
    pipeline.meltano(stack, "invoke", "reports", "monthly", "--month", f"{month:%Y-%m}", "--no-pdf", "--out", str(out))
    footer = re.search(r'id="quarantine-total">(.*?)</p>', (out / f"sales-{month:%Y-%m}.html").read_text("utf-8"), re.S)
    assert footer is not None
    said = re.sub(r"\s+", " ", footer.group(1))
    assert "cars: out_of_range: price is negative 1" in said, said
    assert "garde son dernier prix catalogue valide" in said, said

    catalog.catalog(
        stack,
        "update cars set price = 17000.00 where car_id = 101",
        "update cars set car_model = '207' where car_id = 102",
        "update cars set car_make = 'Renault' where car_id = 150",
    )
    pipeline.elt(stack)
    assert stack.query("select count(*) from staging.stg_operations__car_rejects") == [(0,)]
    assert stack.query(current) == [(cars + 1, 0)]
    assert versions_of(stack, 101)[-1] == (Decimal("17000.00"), False, True)
    # Sold while the source was wrong: the last valid version was in force; the late car now
    # has its first version, which values every sale before it.
    assert catalog.valued(stack, 910001)[1:4] == (Decimal("16199.99"), Decimal("16199.99"), False)
    assert catalog.valued(stack, 910002)[1:4] == (Decimal("15500.00"), Decimal("15500.00"), False)
    assert pipeline.full_refresh_diff(stack) == []


# --- the property: any sequence of catalog edits and sales, incremental == full refresh -----

CARS = (101, 102, 103, 150)  # 150 is not in the catalog at first: a late car
CLIENTS = (201, 202, 230)  # 230 is not in the client file at first: a late client

edit = st.one_of(
    # -1: a price the contract refuses, held back until a later edit fixes it
    st.tuples(st.just("price"), st.sampled_from(CARS), st.one_of(st.integers(10_000, 30_000), st.just(-1))),
    st.tuples(st.just("rename"), st.sampled_from(CARS), st.sampled_from(("A", "B"))),
    st.tuples(st.just("toggle"), st.sampled_from(CARS), st.just(0)),  # remove, or (re)insert
    st.tuples(st.just("client"), st.just(230), st.sampled_from(("Zoé", "Zoe"))),
)
sale = st.tuples(
    st.sampled_from(CARS), st.sampled_from(CLIENTS), st.integers(1, 2), st.integers(-600, 600)
)  # seconds from the time the step runs: older and newer than the step's catalog edits
step = st.tuples(st.lists(edit, min_size=1, max_size=3), st.lists(sale, min_size=1, max_size=4))


class Sequence:
    """Applies generated steps to one fresh stack, then compares with a full refresh."""

    examples = 0

    def __init__(self, stack: Stack) -> None:
        Sequence.examples += 1
        self.stack = stack.fresh(f"catalog_property_{Sequence.examples}")
        self.present = {101, 102, 103}
        self.next_id = 800_000
        catalog.write_demo_around_now(self.stack, 60)
        pipeline.elt(self.stack)

    def apply(self, number: int, edits: list[tuple], sales: list[tuple]) -> None:
        statements = []
        for kind, key, value in edits:
            if kind == "price":
                statements.append(f"update cars set price = {value}.00 where car_id = {key}")
            elif kind == "rename":
                statements.append(f"update cars set car_model = car_model || '{value}' where car_id = {key}")
            elif kind == "toggle" and key in self.present:
                statements.append(f"delete from cars where car_id = {key}")
                self.present.discard(key)
            elif kind == "toggle":
                statements.append(f"insert into cars values ({key}, 'Make{key}', 'Model{key}', 20000.00)")
                self.present.add(key)
            else:
                catalog.drop_clients(self.stack, f"late_{number}", {key: str(value)})
        catalog.catalog(self.stack, *statements)
        at = catalog.now()
        rows = [
            Sale(self.next_id + i, car, client, qty, at + timedelta(seconds=offset))
            for i, (car, client, qty, offset) in enumerate(sales)
        ]
        self.next_id += len(rows)
        if rows:
            catalog.drop_sales(self.stack, f"step_{number}", rows)
        pipeline.elt(self.stack)


@settings(
    max_examples=2,
    deadline=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: an example is minutes of real runs
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=2, max_size=3))
def test_any_catalog_history_gives_the_full_refresh_marts(stack: Stack, steps: list[tuple]) -> None:
    sequence = Sequence(stack)
    for number, (edits, sales) in enumerate(steps):
        sequence.apply(number, edits, sales)
    staged = pipeline.count(sequence.stack, "staging.stg_files__transactions")
    assert pipeline.fact_integrity(sequence.stack) == (staged, staged)
    assert pipeline.full_refresh_diff(sequence.stack) == []
