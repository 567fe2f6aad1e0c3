"""The DAG generator in the real Airflow 3 of the `airflow` utility (run as a subprocess)."""

from __future__ import annotations

import json

import pytest

from infinit.stack import ROOT, Stack
from tests.orchestrate.conftest import Airflow

ELT_STEPS = ["tap-postgres_target-postgres", "tap-csv_target-postgres", "dbt_build"]
JOBS = {
    "el": ["tap-postgres_target-postgres", "tap-csv_target-postgres"],
    "t": ["dbt_build"],
    "elt": ELT_STEPS,
    "reports": ["reports_all"],
    "elt-reports": [*ELT_STEPS, "reports_all", "dbt_source-freshness"],
    "audit": ["dbt_test-all-rows"],
    "deliver": ["reports_deliver"],
}
SCHEDULES = {"daily-elt-reports", "weekly-audit", "monthly-delivery"}


def chain(tasks: dict) -> list[str]:
    """The task ids in dependency order, asserting they form a single chain."""
    order = [t for t, spec in tasks.items() if not spec["upstream"]]
    assert len(order) == 1, f"expected one first task, got {order}"
    while len(order) < len(tasks):
        nxt = [t for t, spec in tasks.items() if spec["upstream"] == [order[-1]]]
        assert len(nxt) == 1, f"after {order[-1]}: {nxt}"
        order.append(nxt[0])
    return order


def test_dagbag_has_every_schedule_and_job(airflow: Airflow) -> None:
    bag = airflow.dagbag()
    assert bag["import_errors"] == {}
    assert set(bag["dags"]) == {*SCHEDULES, *JOBS}

    daily = bag["dags"]["daily-elt-reports"]
    assert daily["schedule"] == "0 6 * * *"
    assert chain(daily["tasks"]) == JOBS["elt-reports"]
    weekly = bag["dags"]["weekly-audit"]
    assert weekly["schedule"] == "0 7 * * 0"
    assert chain(weekly["tasks"]) == ["dbt_test-all-rows"]
    monthly = bag["dags"]["monthly-delivery"]
    assert monthly["schedule"] == "0 7 1 * *"
    assert chain(monthly["tasks"]) == ["reports_deliver"]
    assert monthly["tasks"]["reports_deliver"]["bash_command"].endswith(" run reports:deliver")
    for name, steps in JOBS.items():
        dag = bag["dags"][name]
        assert dag["schedule"] is None, f"{name} is a manual DAG"
        assert chain(dag["tasks"]) == steps

    for dag in bag["dags"].values():
        assert dag["catchup"] is False
        assert dag["max_active_runs"] == 1
        for task in dag["tasks"].values():
            assert task["retries"] == 3
            assert task["retry_exponential_backoff"] > 1
            assert "meltano run " in task["bash_command"]
    assert bag["dags"]["elt"]["tasks"]["dbt_build"]["bash_command"].endswith(" run dbt:build")


def test_dag_parse_failure_is_an_import_error(airflow: Airflow) -> None:
    """A broken Meltano project must surface in Airflow, not silently yield zero DAGs."""
    bag = airflow.dagbag(env={"MELTANO_BIN": "/bin/false", "AIRFLOW_HOME": str(airflow.home / "other")})
    assert bag["dags"] == {}
    assert any("meltano schedule list failed" in err for err in bag["import_errors"].values())


@pytest.mark.slow
def test_elt_dag_end_to_end(airflow: Airflow, demo_stack: Stack) -> None:
    env = {
        **demo_stack.env,
        **{k: v for k, v in airflow.env.items() if k.startswith(("AIRFLOW", "MELTANO_"))},
        "MELTANO_DATABASE_URI": demo_stack.env["MELTANO_DATABASE_URI"],
        "INFINIT_DAG_RETRIES": "0",
    }
    airflow.run("db", "migrate", env=env)
    result = airflow.run("dags", "test", "elt", env=env)
    assert "state=success" in result.stdout + result.stderr

    assert demo_stack.query("select count(*) from raw.cars")[0][0] == 10
    tables = {
        r[0]
        for r in demo_stack.query(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts')"
        )
    }
    assert {"raw.cars", "marts.fct_transactions"} <= tables, tables
    assert demo_stack.query("select count(*) from marts.fct_transactions")[0][0] == 4000


def test_meltano_invoke_airflow_sees_the_generated_dags(airflow: Airflow, stack: Stack) -> None:
    """Through the utility's own definition (orchestrate/airflow.meltano.yml), not our test env."""
    env = {
        "AIRFLOW_HOME": str(airflow.home),
        "AIRFLOW_DATABASE_SQL_ALCHEMY_CONN": f"sqlite:///{airflow.home / 'meltano-invoke.db'}",
    }
    printed = stack.meltano(
        "invoke",
        "--print-var",
        "AIRFLOW__CORE__DAGS_FOLDER",
        "--print-var",
        "AIRFLOW__CORE__LOAD_EXAMPLES",
        "--print-var",
        "AIRFLOW_HOME",
        "airflow",
        "version",
        env=env,
    ).stdout
    assert f"AIRFLOW__CORE__DAGS_FOLDER={ROOT / 'orchestrate' / 'dags'}" in printed
    assert "AIRFLOW__CORE__LOAD_EXAMPLES=False" in printed
    assert f"AIRFLOW_HOME={airflow.home}" in printed
    stack.meltano("invoke", "airflow:migrate", env=env)
    listed = stack.meltano("invoke", "airflow", "dags", "list", "--local", "-o", "json", env=env).stdout
    dags = json.loads(listed[listed.index("[") :])
    assert {d["dag_id"] for d in dags} == {*SCHEDULES, *JOBS}
