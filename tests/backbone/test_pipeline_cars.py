"""tap-postgres -> target-postgres, for real: the warehouse's raw.cars equals the source."""

from __future__ import annotations

from decimal import Decimal

from infinit.stack import Stack

CARS = "select car_id, car_make, car_model, price from {} order by car_id"


def test_cars_land_in_raw_row_for_row(demo_stack: Stack) -> None:
    demo_stack.meltano("run", "tap-postgres", "target-postgres")
    with demo_stack.operations() as ops:
        source = ops.execute(CARS.format("public.cars")).fetchall()
    loaded = demo_stack.query(CARS.format("raw.cars"))
    assert len(source) == 10
    assert loaded == source
    assert loaded[0] == (101, "Peugeot", "208", Decimal("16199.99"))
    metadata = demo_stack.query(
        "select count(*) from raw.cars where _sdc_extracted_at is not null and _sdc_batched_at is not null"
    )
    assert metadata == [(10,)]


def test_a_second_run_keeps_one_row_per_car(demo_stack: Stack) -> None:
    demo_stack.meltano("run", "tap-postgres", "target-postgres")
    with demo_stack.operations() as ops:
        ops.execute("update cars set price = 16999.99 where car_id = 101")
    demo_stack.meltano("run", "tap-postgres", "target-postgres")
    assert demo_stack.query("select count(*), count(distinct car_id) from raw.cars") == [(10, 10)]
    assert demo_stack.query("select price from raw.cars where car_id = 101") == [(Decimal("16999.99"),)]
