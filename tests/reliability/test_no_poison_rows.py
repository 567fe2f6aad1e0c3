"""Guarantee: no poison rows. Every row tap-csv accepts fits every column of the warehouse and
passes every dbt model, contract and test; every other row is quarantined with its reason.

A drop of the values that once stopped every later run (a quantity of 3,000,000,000, product
and client -1, a 30-digit price, 1e100, an id of 2^63, a timestamp past the year 9999 in UTC,
a negative price), of the extremes the contract accepts, and of random rows (the strategies of
extract/tap-csv/tests/test_contract_properties.py, which checks the tap alone on many more) goes
through `meltano run elt` into a real warehouse: the build passes, and per file, rows in =
rows loaded + rows rejected. Bounded: each example is a whole run.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from contract_rows import HEADER, ROWS, Value
from hypothesis import HealthCheck, given, settings

from infinit.stack import Stack
from tests.reliability import pipeline

BIG = 2**63 - 1
# (row, accepted): the poison values, refused; the contract's extremes, accepted
ALWAYS: list[tuple[str, bool]] = [
    ("900001,101,201,3000000000,16199.99,2024-03-05 10:00:00", False),  # quantity past integer
    ("900002,-1,201,1,16199.99,2024-03-05 10:00:00", False),  # the unknown car's id
    ("900003,101,-1,1,16199.99,2024-03-05 10:00:00", False),  # the unknown client's id
    ("900004,101,201,1,123456789012345678901234567890,2024-03-05 10:00:00", False),  # 30 digits
    ("900005,101,201,1,1e100,2024-03-05 10:00:00", False),
    (f"{BIG + 1},101,201,1,16199.99,2024-03-05 10:00:00", False),  # 2^63
    ("900006,101,201,1,16199.99,9999-12-31T23:00:00-05:00", False),  # the year 10000 in UTC
    ("900007,101,201,1,-100,2024-03-05 10:00:00", False),  # a negative price
    (f"{BIG},{BIG},{BIG},2147483647,9999999999.99,2099-12-31 23:59:59", True),  # every maximum
    ("0,0,0,1,0,1970-01-01 00:00:00", True),  # every minimum (unknown car and client 0)
    ("900008,101,201,2147483647,9999999999.99,2024-03-05 10:00:00", True),  # far above list price
    ("900009,101,201,1,0,2024-03-05 10:00:00", True),  # given away
]


@pytest.fixture(scope="module")
def warehouse(stack: Stack) -> Stack:
    child = stack.fresh("no_poison_rows")
    pipeline.write_demo(child, 50)
    pipeline.elt(child)
    return child


@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(rows=ROWS)
def test_accepted_rows_pass_the_build_and_every_row_is_accounted_for(
    warehouse: Stack, rows: list[tuple[Value, ...]]
) -> None:
    number = len(list(warehouse.drops.glob("transactions_poison_*.csv")))
    path = warehouse.drops / f"transactions_poison_{number:02d}.csv"
    random_lines = [(",".join(text for text, _ in row), all(ok for _, ok in row)) for row in rows]
    lines = [*ALWAYS, *random_lines]
    path.write_text("\n".join([HEADER, *(line for line, _ in lines)]) + "\n")

    pipeline.elt(warehouse)  # the build passes: dbt build's models, contracts and tests

    where = "where _source_file = %s"
    loaded = warehouse.query(f"select count(*) from raw.transactions {where}", (str(path),))[0][0]
    rejected = warehouse.query(f"select count(*) from raw.file_rejects {where}", (str(path),))[0][0]
    assert loaded + rejected == len(lines)
    assert loaded == sum(ok for _, ok in lines)
    # every accepted sale reached the fact table (its last version: ids repeat on purpose)
    accepted_ids = {int(next(csv.reader([line]))[0]) for line, ok in lines if ok}
    assert accepted_ids <= pipeline.fact_ids(warehouse)
    codes = warehouse.query(f"select split_part(reason, ':', 1) from raw.file_rejects {where}", (str(path),))
    reasons = Counter(code for (code,) in codes)
    assert reasons["out_of_range"] >= sum(not ok for _, ok in ALWAYS)
