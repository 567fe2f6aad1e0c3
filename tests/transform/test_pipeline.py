"""The dbt project on real data: full `meltano run` build, reconciliation with the source
files, idempotent reruns and an incremental fact. Tests run in file order (see conftest)."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest

from infinit.demo_data import CATALOG
from tests.transform.conftest import Pipeline

PARIS = ZoneInfo("Europe/Paris")
# Columns that record *when* something was loaded or built, not what the data says.
VOLATILE = {"_dbt_updated_at", "loaded_at", "last_loaded_at", "moved_from_sale_date"}


# --- independent computation from the source files ---------------------------------------
def read_transactions(path: Path) -> dict[int, dict[str, object]]:
    """The export as a business reader would parse it: the legacy shape carries an unnamed
    leading index (one value more than the header); the last line of a key wins."""
    rows: dict[int, dict[str, object]] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for values in reader:
            if len(values) == len(header) + 1:
                values = values[1:]
            record = dict(zip(header, values, strict=True))
            rows[int(record["transaction_id"])] = {
                "product_id": int(record["product_id"]),
                "client_id": int(record["client_id"]),
                "quantity": int(record["quantity"]),
                "price": Decimal(record["price"]),
                "at": datetime.fromisoformat(record["timestamp"]).replace(tzinfo=UTC),
            }
    return rows


def monthly_totals(rows: dict[int, dict[str, object]]) -> dict[str, tuple]:
    """(transactions, units, turnover, market value) per Europe/Paris month."""
    list_price = {car.car_id: car.price for car in CATALOG}
    totals: dict[str, list] = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0)])
    for row in rows.values():
        month = row["at"].astimezone(PARIS).strftime("%Y-%m-01")  # type: ignore[union-attr]
        total = totals[month]
        total[0] += 1
        total[1] += row["quantity"]
        total[2] += row["price"] * row["quantity"]  # type: ignore[operator]
        total[3] += list_price[row["product_id"]] * row["quantity"]  # type: ignore[index,operator]
    return {month: tuple(values) for month, values in totals.items()}


# --- warehouse snapshots -------------------------------------------------------------------
def stable_columns(pipeline: Pipeline, schema: str, table: str) -> str:
    """The table's columns, quoted, in order, without the volatile load/build times."""
    columns = pipeline.query(
        "select column_name from information_schema.columns where table_schema = %s "
        "and table_name = %s order by ordinal_position",
        (schema, table),
    )
    return ", ".join(f'"{name}"' for (name,) in columns if name not in VOLATILE)


def snapshot(pipeline: Pipeline) -> dict[str, tuple[int, str]]:
    """Row count and content checksum (volatile load/build times left out) of every mart."""
    result = {}
    for schema, table in pipeline.mart_tables():
        cols = stable_columns(pipeline, schema, table)
        count, checksum = pipeline.query(
            f"select count(*), md5(coalesce(string_agg(r::text, '|' order by r::text), '')) "
            f'from (select {cols} from "{schema}"."{table}") as r'
        )[0]
        result[f"{schema}.{table}"] = (count, checksum)
    return result


def failed_nodes(pipeline: Pipeline) -> dict[str, str]:
    """Nodes of the last dbt command that did not succeed (exposures report "no-op")."""
    ok = ("success", "pass", "no-op")
    return {uid: r["status"] for uid, r in pipeline.run_results().items() if r["status"] not in ok}


# --- tests -----------------------------------------------------------------------------------
def test_meltano_run_builds_every_model_and_passes_every_test(pipeline: Pipeline) -> None:
    results = pipeline.run_results()
    assert failed_nodes(pipeline) == {}
    kinds = {uid.split(".")[0] for uid in results}
    assert {"model", "test", "unit_test"} <= kinds
    models = {uid.split(".")[-1] for uid in results if uid.startswith("model.")}
    assert {
        "base_operations__cars", "stg_operations__cars", "stg_operations__car_rejects",
        "stg_files__transactions", "stg_files__clients", "stg_files__file_rejects",
        "dim_cars", "dim_car_versions", "dim_clients", "dim_date", "fct_transactions", "fct_sales_daily",
        "rpt_monthly_sales", "rpt_monthly_brand_sales", "rpt_monthly_model_sales",
        "rpt_monthly_client_sales", "rpt_daily_sales", "rpt_daily_client_sales", "rpt_data_quality",
        "rpt_quarantine_monthly", "rpt_monthly_catalog_versions",
    } <= models  # fmt: skip
    assert "snapshot.infinit.snp_operations__cars" in results  # the catalog's history, in every build
    assert pipeline.scalar("select count(*) from marts.fct_transactions") == 4000


def test_dbt_sends_no_usage_events(pipeline: Pipeline) -> None:
    """dbt's usage tracking is on unless a project turns it off; this one does (dbt_project.yml),
    as meltano.yml does for Meltano. dbt logs each event it would post in its debug log."""
    assert pipeline.manifest()["metadata"]["send_anonymous_usage_stats"] is False
    # dbt rotates its debug log at 10 MB (dbt.log.1, .2, ...): a whole CI session fills several
    files = sorted(Path(pipeline.stack.env["DBT_LOG_PATH"]).glob("dbt.log*"))
    log = "".join(path.read_text(errors="replace") for path in files)
    assert "Running with dbt=" in log  # the debug log of this session's builds
    assert "Sending event" not in log


def contracted_models(pipeline: Pipeline) -> dict[str, dict]:
    """The models with an enforced contract, from the manifest of the last dbt command."""
    return {
        f"{node['schema']}.{node['name']}": node
        for node in pipeline.manifest()["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["contract"]["enforced"]
    }


def declared_keys(node: dict) -> set[tuple[str, tuple[str, ...]]]:
    """A contracted model's primary key and unique constraints, as pg_constraint spells them:
    ('p' or 'u', columns), column-level ones included."""
    kinds = {"primary_key": "p", "unique": "u"}
    model_level = {(kinds[c["type"]], tuple(c["columns"])) for c in node["constraints"] if c["type"] in kinds}
    column_level = {
        (kinds[c["type"]], (name,))
        for name, column in node["columns"].items()
        for c in column["constraints"]
        if c["type"] in kinds
    }
    return model_level | column_level


def test_contracts_are_enforced_by_postgresql(pipeline: Pipeline) -> None:
    """Every mart and report table is contracted, and its not-null columns, checks and keys
    exist in PostgreSQL, which refuses a violating row whoever writes it (no data test re-reads
    them)."""
    contracted = contracted_models(pipeline)
    tables = {f"{schema}.{table}" for schema, table in pipeline.mart_tables()}
    assert tables <= set(contracted), f"tables without a contract: {tables - set(contracted)}"
    for table, node in contracted.items():
        declared_not_null = {
            name for name, column in node["columns"].items()
            if any(c["type"] == "not_null" for c in column["constraints"])
        }  # fmt: skip
        declared_checks = sum(
            c["type"] == "check" for column in node["columns"].values() for c in column["constraints"]
        ) + sum(c["type"] == "check" for c in node["constraints"])
        schema, name = table.split(".")
        not_null = {
            column for (column,) in pipeline.query(
                "select column_name from information_schema.columns "
                "where table_schema = %s and table_name = %s and is_nullable = 'NO'", (schema, name),
            )
        }  # fmt: skip
        checks = pipeline.scalar(
            "select count(*) from pg_constraint where contype = 'c' and conrelid = %s::regclass", (table,)
        )
        keys = {
            (kind, tuple(columns)) for kind, columns in pipeline.query(
                "select contype, array_agg(attname::text order by key.n) from pg_constraint "
                "cross join unnest(conkey) with ordinality as key(attnum, n) "
                "join pg_attribute on attrelid = conrelid and pg_attribute.attnum = key.attnum "
                "where contype in ('p', 'u') and conrelid = %s::regclass group by pg_constraint.oid, contype",
                (table,),
            )
        }  # fmt: skip
        assert not_null == declared_not_null, table
        assert checks == declared_checks, table
        assert keys == declared_keys(node), table
    # A row breaking a constraint is refused, with the column named.
    with pipeline.stack.warehouse() as conn:
        with pytest.raises(psycopg.errors.NotNullViolation, match='column "brand"'):
            conn.execute("insert into reports.rpt_monthly_brand_sales (month, turnover_rank) values (current_date, 1)")
        with pytest.raises(psycopg.errors.CheckViolation, match="turnover_share"):
            conn.execute(
                "insert into reports.rpt_monthly_brand_sales (month, brand, turnover_rank, turnover_share) "
                "values (current_date, 'x', 1, 2)"
            )
        with pytest.raises(psycopg.errors.UniqueViolation, match=r"\(month, brand\)"):
            conn.execute(
                "insert into reports.rpt_monthly_brand_sales select * from reports.rpt_monthly_brand_sales limit 1"
            )


def test_marts_equal_totals_computed_from_the_source_files(pipeline: Pipeline) -> None:
    expected = monthly_totals(read_transactions(pipeline.stack.drops / "transactions.csv"))
    report = {
        month.isoformat(): (transactions, units, turnover, market_value)
        for month, transactions, units, turnover, market_value in pipeline.query(
            "select month, transactions, units, turnover, market_value from reports.rpt_monthly_sales "
            "where transactions > 0"
        )
    }
    assert report == expected
    daily_mart = {
        month.isoformat(): (int(t), int(u), turnover, market_value)
        for month, t, u, turnover, market_value in pipeline.query(
            "select sale_month, sum(transactions), sum(units), sum(turnover), sum(market_value) "
            "from marts.fct_sales_daily group by sale_month"
        )
    }
    assert daily_mart == expected
    # The timezone matters here: the last sale (2024-07-31 22:24 UTC) is August in Paris.
    assert min(expected) == "2023-01-01"


def test_first_month_has_no_previous_values(pipeline: Pipeline) -> None:
    first = pipeline.query(
        "select transactions_prev_month, turnover_prev_month, turnover_mom_pct from reports.rpt_monthly_sales "
        "order by month limit 1"
    )
    assert first == [(None, None, None)]


def test_reader_sees_no_email(pipeline: Pipeline) -> None:
    assert (
        pipeline.query(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema in ('marts', 'reports') and column_name like '%%email%%' "
            "and column_name != 'email_domain'"
        )
        == []
    )


def test_second_run_leaves_every_mart_identical(pipeline: Pipeline) -> None:
    before = snapshot(pipeline)
    built_at = pipeline.scalar("select max(_dbt_updated_at) from marts.fct_transactions")
    assert len(before) == 14  # 6 marts + 8 report tables (rpt_daily_client_sales is a view)
    pipeline.elt("second run, nothing new")
    assert snapshot(pipeline) == before
    # Nothing new was loaded: the incremental fact was not rewritten.
    assert pipeline.scalar("select max(_dbt_updated_at) from marts.fct_transactions") == built_at


def test_incremental_run_after_append_touches_only_the_delta(pipeline: Pipeline) -> None:
    stack = pipeline.stack
    built_before = dict(pipeline.query("select transaction_id, _dbt_updated_at from marts.fct_transactions"))
    corrected = 17  # an existing sale delivered again with a corrected price: latest version wins
    old_price = pipeline.scalar("select unit_price from marts.fct_transactions where transaction_id = %s",
                                (corrected,))  # fmt: skip
    path = stack.drops / "transactions.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        last_index = int(list(csv.reader(fh))[-1][0])
    source = read_transactions(path)
    with path.open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for i in range(9):  # legacy shape, as the export writes it
            writer.writerow([last_index + 1 + i, 5000 + i, 101 + i, 201 + i, 1 + i % 2, "19999.99",
                             f"2024-07-31 2{i % 4}:30:00"])  # fmt: skip
        row = source[corrected]
        writer.writerow([last_index + 10, corrected, row["product_id"], row["client_id"], row["quantity"],
                         "12345.67", row["at"].strftime("%Y-%m-%d %H:%M:%S")])  # fmt: skip

    pipeline.elt("incremental run, 10 rows appended")
    results = pipeline.run_results()
    fct = next(r for uid, r in results.items() if uid == "model.infinit.fct_transactions")

    built_after = dict(pipeline.query("select transaction_id, _dbt_updated_at from marts.fct_transactions"))
    assert len(built_after) == len(built_before) + 9
    touched = {tid for tid, at in built_after.items() if built_before.get(tid) != at}
    assert touched == {corrected, *range(5000, 5009)}
    assert fct["adapter_response"].get("rows_affected") == 10
    new_price = pipeline.scalar("select unit_price from marts.fct_transactions where transaction_id = %s",
                                (corrected,))  # fmt: skip
    assert old_price != new_price
    assert new_price == Decimal("12345.67")
    # Every layer still agrees with the files (the corrected sale counted once).
    expected = monthly_totals(read_transactions(path))
    report = {
        month.isoformat(): (transactions, units, turnover, market_value)
        for month, transactions, units, turnover, market_value in pipeline.query(
            "select month, transactions, units, turnover, market_value from reports.rpt_monthly_sales "
            "where transactions > 0"
        )
    }
    assert report == expected
    kept, afresh = daily_sales_as_rebuilt(pipeline)
    assert kept == afresh


def daily_sales_as_rebuilt(pipeline: Pipeline) -> tuple[list[tuple], list[tuple]]:
    """fct_sales_daily as the incremental runs left it, and the fact aggregated afresh."""
    kept = pipeline.query(
        "select sale_date, client_id, product_id, transactions, units, turnover, market_value, discount "
        "from marts.fct_sales_daily order by 1, 2, 3"
    )
    afresh = pipeline.query(
        "select sale_date, client_id, product_id, count(*), sum(quantity), sum(turnover), sum(market_value), "
        "sum(discount) from marts.fct_transactions group by 1, 2, 3 order by 1, 2, 3"
    )
    return kept, afresh


def append_sale(pipeline: Pipeline, transaction_id: int, sold_at: str) -> None:
    """One new sale (car 101, client 201) at the end of the transactions file, legacy shape."""
    path = pipeline.stack.drops / "transactions.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        last_index = int(list(csv.reader(fh))[-1][0])
    with path.open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow([last_index + 1, transaction_id, 101, 201, 1, "15000.00", sold_at])


def test_a_sale_moved_to_another_day_leaves_its_old_day(pipeline: Pipeline) -> None:
    """A correction that moves a sale to another day, the only sale of its old day: the
    incremental fct_sales_daily recomputes both days and the old one disappears from every
    daily table, as a full rebuild would have it."""
    lonely = 6000
    append_sale(pipeline, lonely, "2024-09-15 10:00:00")  # a sale alone on its (Paris) day
    pipeline.elt("incremental run, a sale alone on 2024-09-15")
    old_day = "select count(*) from {} where sale_date = '2024-09-15'"
    assert pipeline.scalar(old_day.format("marts.fct_sales_daily")) == 1
    assert pipeline.scalar(old_day.format("reports.rpt_daily_sales")) == 1

    append_sale(pipeline, lonely, "2024-09-16 10:00:00")  # corrected: sold the day after
    pipeline.elt("incremental run, the sale moved to 2024-09-16")
    moved_from = "select moved_from_sale_date::text from marts.fct_transactions where transaction_id = %s"
    assert pipeline.scalar(moved_from, (lonely,)) == "2024-09-15"
    for table in ("marts.fct_sales_daily", "reports.rpt_daily_sales", "reports.rpt_daily_client_sales"):
        assert pipeline.scalar(old_day.format(table)) == 0, table
    assert pipeline.scalar("select count(*) from marts.fct_sales_daily where client_id is null") == 0
    kept, afresh = daily_sales_as_rebuilt(pipeline)
    assert kept == afresh
    assert failed_nodes(pipeline) == {}


def table_rows(pipeline: Pipeline, table: str) -> list[tuple]:
    """Every row of a table, sorted, without the volatile build-time columns."""
    cols = stable_columns(pipeline, *table.split("."))
    return pipeline.query(f"select {cols} from {table} order by {cols}")


def test_renames_reach_every_report_and_the_daily_tables_rewrite_only_touched_rows(pipeline: Pipeline) -> None:
    """A client and a car renamed and one new sale: fct_sales_daily rewrites only the new sale's
    day, rpt_daily_sales that day and the renamed car's rows (its catalog version is new); every
    report shows the new names (the tables are rebuilt, the view reads the dimensions), and the
    incremental tables equal their full rebuild."""
    stack = pipeline.stack
    clients_file = stack.drops / "clients.json"
    clients = json.loads(clients_file.read_text(encoding="utf-8"))
    next(c for c in clients if c["client_id"] == 203)["name"] = "Renamed Client"
    clients_file.write_text(json.dumps(clients, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    with stack.operations() as ops:
        ops.execute("update cars set car_model = 'Renamed Model' where car_id = 105")
    append_sale(pipeline, 7000, "2024-10-02 10:00:00")  # one new sale, on a new day
    rows_before = pipeline.scalar("select count(*) from reports.rpt_daily_sales")
    pipeline.elt("incremental run, a client and a car renamed, one sale")

    rewrites = {  # table: the rows this run must rewrite, and only those
        "marts.fct_sales_daily": "sale_date = '2024-10-02'",
        "reports.rpt_daily_sales": "sale_date = '2024-10-02' or product_id = 105",
    }
    for table, changed in rewrites.items():
        latest = f"_dbt_updated_at = (select max(_dbt_updated_at) from {table})"
        rewritten = pipeline.scalar(f"select count(*) from {table} where {latest}")
        assert rewritten == pipeline.scalar(f"select count(*) from {table} where {changed}"), table
    assert 0 < rewritten < rows_before
    for report in ("reports.rpt_daily_sales", "reports.rpt_daily_client_sales", "reports.rpt_monthly_model_sales"):
        models = pipeline.query(f"select distinct model from {report} where product_id = 105")
        assert models == [("Renamed Model",)], report
    for report in ("reports.rpt_daily_client_sales", "reports.rpt_monthly_client_sales"):
        names = pipeline.query(f"select distinct client_name from {report} where client_id = 203")
        assert names == [("Renamed Client",)], report
    kept, afresh = daily_sales_as_rebuilt(pipeline)  # what a full rebuild of fct_sales_daily writes
    assert kept == afresh
    kept_report = table_rows(pipeline, "reports.rpt_daily_sales")
    pipeline.meltano("invoke", "dbt", "run", "--full-refresh", "--select", "rpt_daily_sales")
    assert table_rows(pipeline, "reports.rpt_daily_sales") == kept_report


def failed_test_names(pipeline: Pipeline) -> set[str]:
    """Names of the failed nodes of the last dbt command, without dbt's hash suffix."""
    return {uid.split(".")[2] for uid in failed_nodes(pipeline)}


def assert_caught(pipeline: Pipeline, daily: tuple[str, ...], tests: set[str], by_daily: bool, what: object) -> None:
    """The daily-scoped dbt command fails with exactly `tests` when `by_daily`, passes
    otherwise; the weekly audit (every row) fails with `tests` among its failures."""
    assert (pipeline.meltano(*daily, check=False).returncode != 0) is by_daily, what
    assert failed_test_names(pipeline) == (tests if by_daily else set()), what
    assert pipeline.meltano("run", "dbt:test-all-rows", check=False).returncode != 0
    assert tests <= failed_test_names(pipeline)


def test_a_daily_build_tests_the_rows_it_wrote_and_the_audit_tests_every_row(pipeline: Pipeline) -> None:
    """The row-level tests of the incremental tables read only the rows of the model's latest
    run (`where: __latest_run__`, transform/macros/test_scope.sql); the weekly `audit` job
    (`dbt:test-all-rows`) reads every row. A bad row is caught by the run that writes it, or
    by the audit if it sits in rows written before."""
    relationship = {"relationships_fct_transactions_product_id__product_id__ref_dim_cars_"}
    latest = "select max(_dbt_updated_at) from marts.fct_transactions"
    older, newer = (
        pipeline.scalar(f"select min(transaction_id) from marts.fct_transactions where _dbt_updated_at {op} ({latest})")
        for op in ("<", "=")
    )
    assert older is not None and newer is not None, "the earlier tests left rows of several runs"
    # The fact's relationships tests alone: assert_daily_sales_match_fact, which compares the
    # fact with fct_sales_daily on the latest run's days, would see the newer sale's change too.
    daily = ("invoke", "dbt", "test", "--select", "test_name:relationships,fct_transactions")
    for sale, caught_daily in ((older, False), (newer, True)):
        product = pipeline.scalar("select product_id from marts.fct_transactions where transaction_id = %s", (sale,))
        with pipeline.stack.warehouse() as conn:
            conn.execute("update marts.fct_transactions set product_id = 999999 where transaction_id = %s", (sale,))
        try:
            assert_caught(pipeline, daily, relationship, caught_daily, sale)
        finally:
            with pipeline.stack.warehouse() as conn:
                conn.execute(
                    "update marts.fct_transactions set product_id = %s where transaction_id = %s", (product, sale)
                )


def test_a_daily_build_reconciles_the_days_it_wrote_and_the_audit_every_day(pipeline: Pipeline) -> None:
    """assert_daily_sales_match_fact compares fct_sales_daily with the fact on the days of the
    latest runs in a daily build (its cost follows the delta), on every day in the audit: a
    wrong aggregate is caught by the run that writes it, or by the weekly audit."""
    reconciliation = {"assert_daily_sales_match_fact"}
    latest = "select max(_dbt_updated_at) from marts.fct_sales_daily"
    latest_days = f"select sale_date from marts.fct_sales_daily where _dbt_updated_at = ({latest})"
    older = pipeline.scalar(f"select min(sale_date) from marts.fct_sales_daily where sale_date not in ({latest_days})")
    newer = pipeline.scalar(f"select min(sale_date) from ({latest_days}) as days")
    assert older is not None and newer is not None, "the earlier tests left days of several runs"
    daily = ("invoke", "dbt", "test", "--select", "assert_daily_sales_match_fact")
    one_row = "ctid = (select min(ctid) from marts.fct_sales_daily where sale_date = %s)"
    for day, caught_daily in ((older, False), (newer, True)):
        with pipeline.stack.warehouse() as conn:
            conn.execute(f"update marts.fct_sales_daily set turnover = turnover + 1 where {one_row}", (day,))
        try:
            assert_caught(pipeline, daily, reconciliation, caught_daily, day)
        finally:
            with pipeline.stack.warehouse() as conn:
                conn.execute(f"update marts.fct_sales_daily set turnover = turnover - 1 where {one_row}", (day,))


# The constant that transform/macros/watermark.sql writes into an incremental model's filter
# (staging's compares it in raw's own timestamp type: `> ((constant) at time zone 'UTC')`).
CONSTANT = r"\(timestamptz 'epoch' \+ (\d+) \* interval '1 microsecond'\)"
WATERMARK = re.compile(r"> \(?" + CONSTANT)


def test_incremental_filters_hold_the_exact_watermark_as_a_constant(pipeline: Pipeline) -> None:
    """Each incremental model filters its input on a constant, the newest load (or build) time
    already in its table to the microsecond: a constant lets the planner probe the indexes
    instead of hashing the whole history, and a microsecond off would skip or re-read rows."""
    watermarks = {  # model: its table, and the columns its watermarks read there, in query order
        "staging/files/stg_files__transactions": ("staging.stg_files__transactions", ["loaded_at"]),
        # the catalog's re-valuation (versions recorded since the last run), then the new loads
        "marts/fct_transactions": ("marts.fct_transactions", ["_dbt_updated_at", "loaded_at"]),
        "marts/fct_sales_daily": ("marts.fct_sales_daily", ["_dbt_updated_at"]),
        # the touched days, then the cars whose catalog version is new
        "reports/rpt_daily_sales": ("reports.rpt_daily_sales", ["_dbt_updated_at", "_dbt_updated_at"]),
    }
    models = "stg_files__transactions fct_transactions fct_sales_daily rpt_daily_sales"
    pipeline.meltano("invoke", "dbt", "compile", "--select", models)
    compiled = Path(pipeline.stack.env["DBT_TARGET_PATH"]) / "compiled" / "infinit" / "models"
    for model, (table, columns) in watermarks.items():
        found = WATERMARK.findall((compiled / f"{model}.sql").read_text())
        assert len(found) == len(columns), f"{model}: expected {len(columns)} constant watermarks, found {found}"
        for column, micros in zip(columns, found, strict=True):
            exact = pipeline.scalar(
                f"select max({column}) = timestamptz 'epoch' + %s * interval '1 microsecond' from {table}",
                (int(micros),),
            )
            assert exact is True, f"{model}: the watermark {micros} µs is not max({column}) of {table}"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The source CTE of the compiled stg_files__transactions: raw read through the load-time filter.
RAW_FILTER = re.compile(r'from "\w+"\."raw"\."transactions"\s+where (\(.*\))\s*\n')


def test_staging_reads_new_raw_rows_through_the_loaders_load_time_index(pipeline: Pipeline) -> None:
    """The incremental staging filter is written on the very expression the loader indexes
    (load/target-postgres: a BRIN index on the raw table's load time), so PostgreSQL can answer
    it from the index instead of scanning all of raw. At demo scale a scan is cheaper, so the
    planner is asked whether it *can* use the index (sequential scans off); the bench measures
    what it saves at 1M and 10M rows."""
    pipeline.meltano("invoke", "dbt", "compile", "--select", "stg_files__transactions")
    compiled = Path(pipeline.stack.env["DBT_TARGET_PATH"]) / "compiled" / "infinit" / "models"
    found = RAW_FILTER.findall((compiled / "staging/files/stg_files__transactions.sql").read_text())
    assert len(found) == 1, f"expected one filtered read of raw.transactions, found {found}"
    with pipeline.stack.warehouse() as conn:
        conn.execute("set enable_seqscan = off")
        plan = "\n".join(row[0] for row in conn.execute(f"explain select * from raw.transactions where {found[0]}"))
        assert "transactions__load_time" in plan, f"the filter {found[0]} cannot use the load-time index:\n{plan}"
        # Same rows as the timestamptz load time staging keeps (`loaded_at`) compared directly.
        newest = conn.execute("select max(loaded_at) from staging.stg_files__transactions").fetchone()[0]
        conn.execute("set enable_seqscan = on")
        expression = "coalesce(_sdc_batched_at at time zone 'UTC', _extracted_at at time zone 'UTC')"
        for since in (newest, newest - timedelta(microseconds=1)):
            micros = (since - EPOCH) // timedelta(microseconds=1)
            through_index = re.sub(CONSTANT, f"(timestamptz 'epoch' + {micros} * interval '1 microsecond')", found[0])
            counts = conn.execute(
                f"select (select count(*) from raw.transactions where {through_index}),"
                f" (select count(*) from raw.transactions where {expression} > %s or {expression} is null)",
                (since,),
            ).fetchone()
            assert counts[0] == counts[1], f"since {since}: {counts[0]} rows through the index filter, {counts[1]}"


def test_dimensions_hold_a_member_for_every_id_sold(pipeline: Pipeline) -> None:
    """dim_cars and dim_clients infer a member for each id sold that its source lacks."""
    for dimension, key in (("dim_cars", "product_id"), ("dim_clients", "client_id")):
        missing = pipeline.scalar(
            f"select count(distinct sales.{key}) from staging.stg_files__transactions as sales"
            f" where sales.{key} is not null and not exists"
            f" (select from marts.{dimension} as members where members.{key} = sales.{key})"
        )
        assert missing == 0, f"{dimension}: {missing} ids sold without a member"


def test_docs_generate(pipeline: Pipeline) -> None:
    # --static also writes static_index.html: the site with its data inlined, for a browser below.
    pipeline.meltano("invoke", "dbt", "docs", "generate", "--static")
    target = Path(pipeline.stack.env["DBT_TARGET_PATH"])
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = pipeline.manifest()
    assert "model.infinit.rpt_monthly_sales" in catalog["nodes"]
    undocumented = [
        f"{node['name']}.{column}" if column else node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in [None, *catalog["nodes"][node["unique_id"]]["columns"]]
        if not (node["description"] if column is None else node["columns"].get(column, {}).get("description"))
    ]
    assert undocumented == []
    assert {e["name"] for e in manifest["exposures"].values()} >= {"monthly_sales_report", "sales_cockpit"}
    # The docs site opens on the project's overview (transform/models/overview.md), which dbt's
    # app prefers to its generic "Welcome!" page: what the warehouse holds and how to read it.
    overview = manifest["docs"]["doc.infinit.__overview__"]["block_contents"]
    for words in ("car dealer's sales warehouse", "The four layers", "How to read the numbers", "Europe/Paris"):
        assert words in overview
    for model in ("fct_transactions", "dim_cars", "rpt_monthly_sales", "rpt_quarantine_monthly"):
        assert model in overview and f"model.infinit.{model}" in manifest["nodes"], model
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install chromium): the rendered page is not checked")
    # What a reader sees on opening the site, rendered by a real browser: the overview's title
    # as the page's heading, not dbt's welcome text (which only sits in the inlined data).
    page = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=10000", "--dump-dom",
         (target / "static_index.html").as_uri()],
        capture_output=True, text=True, timeout=120, check=True,
    ).stdout  # fmt: skip
    assert '<h1 id="infinit-a-car-dealer-s-sales-warehouse">' in page
    assert 'id="welcome"' not in page
