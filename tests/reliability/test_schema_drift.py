"""Guarantee: when a source changes shape, the documented behaviour holds.

- CSV drops are checked against their contract (extract/contracts/): a new or a renamed
  column refuses the file with a clear message naming the file and the columns; nothing of
  it is loaded, the marts stay as they were, the files of the same drop that are fine are
  loaded exactly once after the operator removes (or fixes) the bad one.
- The operational `cars` table evolves: a widened type (price numeric(10,2) -> numeric(12,2),
  car_model varchar(100) -> varchar(200)) and a new column are picked up without manual steps.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from infinit.stack import Stack
from tests.reliability import pipeline

HEADER = "transaction_id,product_id,client_id,quantity,price,timestamp"


def test_new_csv_column_refuses_the_file_clearly_and_loses_nothing(loaded: Stack) -> None:
    good = pipeline.daily_rows(1, 20, first=date(2024, 10, 1), first_id=30_001)[0]
    good_file = pipeline.write_daily_file(loaded.drops, 0, good, first=date(2024, 10, 1))
    bad = loaded.drops / "transactions_2024-10-02.csv"
    bad.write_text(f"{HEADER},channel\n0,30101,101,201,1,16000.5,2024-10-02 10:00:00,web\n")
    marts_before = pipeline.fingerprint(loaded)
    try:
        failed = pipeline.elt(loaded, check=False)
        said = failed.stdout + failed.stderr
        assert failed.returncode != 0
        assert str(bad) in said and "unexpected column(s) ['channel']" in said, said[-4000:]
        marks = pipeline.file_bookmarks(loaded)
        assert str(bad) not in marks, "the refused file is not marked as read"
        # Files before it in the same run may be loaded and bookmarked: then all of them.
        if str(good_file) in marks:
            assert marks[str(good_file)]["rows"] == len(good)
        assert pipeline.diff(marts_before, pipeline.fingerprint(loaded)) == [], "the marts stayed as they were"
    finally:
        bad.unlink()  # the operator moves the file aside (or fixes its export)
    pipeline.elt(loaded)
    pipeline.assert_every_sale_once(loaded)  # whatever the failed run delivered, once


def test_renamed_csv_column_refuses_the_file_clearly(loaded: Stack) -> None:
    renamed = loaded.drops / "transactions_2024-10-03.csv"
    renamed.write_text(HEADER.replace("price", "unit_price") + "\n0,30201,101,201,1,16000.5,2024-10-03 10:00:00\n")
    marks_before = pipeline.file_bookmarks(loaded)
    raw_before = pipeline.count(loaded, "raw.transactions")
    try:
        failed = pipeline.meltano(loaded, "run", "tap-csv", "target-postgres", check=False)
        said = failed.stdout + failed.stderr
        assert failed.returncode != 0
        assert str(renamed) in said
        assert "missing required column(s) ['price']" in said, said[-4000:]
        assert pipeline.file_bookmarks(loaded) == marks_before
        assert pipeline.count(loaded, "raw.transactions") == raw_before
    finally:
        renamed.unlink()


def test_widened_types_and_a_new_column_in_ops_cars_evolve(loaded: Stack) -> None:
    long_model = "208" + " GT Line" * 20  # 164 characters
    with loaded.operations() as ops:
        ops.execute("alter table cars alter column price type numeric(12, 2)")
        ops.execute("alter table cars alter column car_model type varchar(200)")
        ops.execute("alter table cars add column fuel varchar(20)")
        ops.execute(
            "update cars set price = 1234567.89, car_model = %s, fuel = 'petrol' where car_id = 101", (long_model,)
        )
    # Widened types: the next plain run carries the wider values through to the marts.
    pipeline.elt(loaded)
    assert loaded.query("select price, car_model from raw.cars where car_id = 101") == [
        (Decimal("1234567.89"), long_model)
    ]
    assert loaded.query("select list_price, model from marts.dim_cars where product_id = 101") == [
        (Decimal("1234567.89"), long_model)
    ]
    assert pipeline.count(loaded, "marts.dim_cars where not is_unknown") == 10
    # A new column: Meltano keeps the discovered catalog, so a plain run ignores it (no error);
    # `meltano run --refresh-catalog elt` picks it up and target-postgres adds the column.
    assert "fuel" not in pipeline.columns(loaded, "raw", "cars")
    pipeline.elt(loaded, "--refresh-catalog")
    assert loaded.query("select fuel from raw.cars where car_id = 101") == [("petrol",)]
