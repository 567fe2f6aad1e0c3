"""The bench's targets (bench/report.py): what each detail says of the start-up floors, from a
result's step seconds. Pure arithmetic over a result dict, as bench.run writes it."""

from __future__ import annotations

from typing import Any

from bench import report


def result(dbt_incremental_command: str) -> dict[str, Any]:
    seconds = {
        "copy": 1.0,
        "el_cars": 4.0,
        "el_backfill": 9.0,
        "dbt_full": 27.0,
        "el_no_change": 5.0,
        "dbt_no_change": 10.0,
        "el_csv_no_change": 3.0,
        "dbt_start": 4.0,
        "dbt_full_refresh": 24.0,
    }
    steps: dict[str, Any] = {key: {"seconds": value} for key, value in seconds.items()}
    steps["elt_incremental"] = {"seconds": 14.0, "delta_rows": 100, "records_extracted": {"tap-csv/transactions": 100}}
    steps["dbt_incremental"] = {"seconds": 9.0, "command": dbt_incremental_command}
    return {"steps": steps}


def test_each_target_names_the_start_up_it_sits_on() -> None:
    targets = report.targets(result("meltano run dbt:build"))

    el = targets["EL <= 8x COPY"]
    assert el["reached"] is False  # 9.0 s over a 1.0 s COPY
    assert "the same command with nothing to read 3.0 s = 3.0x COPY" in el["detail"]
    assert "the rest (the rows) 6.0 s = 6.0x COPY" in el["detail"]

    elt = targets["incremental elt <= 15% of backfill EL+T"]
    assert "14.0 s / 40.0 s = 35.0%" in elt["detail"]
    assert (
        "el with no new rows + dbt with no node selected (two commands: Meltano starts twice) 9.0 s = 22.5%"
        in (elt["detail"])
    )

    dbt = targets["incremental dbt build <= 25% of full"]
    assert dbt["detail"].startswith("9.0 s / 24.0 s = 37.5%")  # --full-refresh is the full build
    assert "with no node selected 4.0 s = 16.7%; beyond that start, 5.0 s / 20.0 s = 25.0%" in dbt["detail"]


def test_an_incremental_build_timed_as_a_block_of_the_elt_has_no_start_to_take_away() -> None:
    detail = report.targets(result("dbt build (last block of the incremental elt)"))[
        "incremental dbt build <= 25% of full"
    ]["detail"]
    assert "with no node selected 4.0 s" in detail
    assert "beyond that start" not in detail


def test_without_the_start_up_steps_the_details_say_nothing_of_them() -> None:
    old = result("meltano run dbt:build")
    del old["steps"]["el_csv_no_change"], old["steps"]["dbt_start"]
    targets = report.targets(old)
    assert "nothing to read" not in targets["EL <= 8x COPY"]["detail"]
    assert "no node selected" not in targets["incremental dbt build <= 25% of full"]["detail"]
    assert "no node selected" not in targets["incremental elt <= 15% of backfill EL+T"]["detail"]
