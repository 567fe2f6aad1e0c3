"""The project's target-postgres sink lands exactly what MeltanoLabs' stock sink lands.

The same tap output (tap-csv's Parquet BATCH files, tap-csv RECORD messages, tap-postgres' cars,
which the target upserts by key) and a hand-written Parquet BATCH file of odd lines (appended,
and upserted by key) are fed to `target-postgres` (the
project's sink, load/target-postgres) and to `target-postgres--stock` (the stock sink, same
package version), each into its own fresh warehouse. Every raw table must hold the same rows
with the same column types; only the columns the target stamps with the time it received or
loaded a row may differ. Numbers are compared as values: over COPY the project's sink lands
the digits a RECORD message wrote, where stock sends each number through a float (`12015` lands as
12015, not 12015.0; a 19-digit fraction keeps its digits): the last test. From Parquet, a
decimal column lands every value at the column's scale (`12015.000000000`), the same value.
"""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from infinit.stack import MELTANO, ROOT, Stack, tap_csv_batches

pytestmark = pytest.mark.slow

BATCH_SIZE = 700  # several BATCH files for the 4000 demo transactions
# Set by the target from its own clock (record metadata), so they differ between two loads.
LOAD_TIME = {"_sdc_batched_at", "_sdc_received_at", "_sdc_sequence", "_sdc_sync_started_at"}


def tap_output(stack: Stack, *tap: str, name: str | None = None, env: dict[str, str] | None = None) -> Path:
    """What the tap writes on stdout (the messages a target reads), saved to a file."""
    out = stack.home / f"{name or tap[0]}.singer"
    with out.open("w") as fh:
        subprocess.run([MELTANO, "invoke", *tap], cwd=ROOT, env={**stack.env, **(env or {})}, stdout=fh, check=True,
                       stderr=subprocess.DEVNULL, timeout=600)  # fmt: skip
    return out


def load(stack: Stack, target: str, messages: Path, env: dict[str, str] | None = None) -> str:
    """Feed `messages` to `target`; its log."""
    with messages.open() as fh:
        run = subprocess.run([MELTANO, "invoke", target], cwd=ROOT, env={**stack.env, **(env or {})}, stdin=fh,
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert run.returncode == 0, f"{target} exited {run.returncode}:\n{run.stderr[-6000:]}"
    return run.stderr


def raw_tables(stack: Stack) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Per raw table: its columns with their types, and its rows sorted (load time aside)."""
    out = {}
    for (table,) in stack.query("select table_name from information_schema.tables where table_schema = 'raw'"):
        columns = stack.query(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = %s order by column_name",
            (table,),
        )
        listed = ", ".join(f'"{name}"' for name, _ in columns if name not in LOAD_TIME)
        out[table] = (columns, stack.query(f'select {listed} from raw."{table}" order by {listed}'))
    return out


def first_difference(table: str, project: tuple | None, stock: tuple | None) -> str:
    if project == stock:
        return f"{table}: same"
    if project is None or stock is None or project[0] != stock[0]:
        return f"{table}: columns differ: {project and project[0]} != {stock and stock[0]}"
    names = [name for name, _ in project[0] if name not in LOAD_TIME]
    for mine, theirs in zip(project[1], stock[1], strict=False):
        if mine != theirs:
            diff = {n: (a, b) for n, a, b in zip(names, mine, theirs, strict=True) if a != b}
            return f"{table}: first differing row, (project, stock) per column: {diff}"
    return f"{table}: {len(project[1])} rows != {len(stock[1])} rows"


ODD_LINES = [  # what another tap might write: any key order, keys missing, keys unknown
    {"id": 1, "amount": 1.10, "label": "plain", "ts": "2024-01-01T10:00:00+00:00", "flag": True},
    {"flag": False, "ts": "2024-01-02T10:00:00+02:00", "label": 'tab\tback\\slash "quote"\nline', "amount": 2, "id": 2},
    {"id": 3, "amount": 1e-7, "label": "accents: é, ü, 漢字", "extra": {"nested": [1, 2]}},
    {"id": 4, "amount": None, "label": None, "ts": None, "flag": None},
    {"id": 2, "amount": 12345678901234567890.123456789, "label": "id 2 again: the upsert keeps this one"},
    {"id": 5},
    {"id": 6, "label": ""},  # an empty text, not NULL
]


PROPERTIES = {
    "id": {"type": ["integer"]},
    "amount": {"type": ["number", "null"]},
    "label": {"type": ["string", "null"]},
    "ts": {"type": ["string", "null"], "format": "date-time"},
    "flag": {"type": ["boolean", "null"]},
}


def handmade_parquet(stack: Stack) -> tuple[Path, dict[str, str]]:
    """The odd lines as another tap's Parquet file: typed columns, numbers as exact decimals."""

    def number(value: object) -> Decimal | None:
        return None if value is None else Decimal(repr(value))

    columns = {name: [line.get(name) for line in ODD_LINES] for name in PROPERTIES}
    table = pa.table({
        "id": pa.array(columns["id"], pa.int64()),
        "amount": pa.array([number(v) for v in columns["amount"]], pa.decimal128(38, 9)),
        "label": pa.array(columns["label"], pa.string()),
        "ts": pa.array(columns["ts"], pa.string()),
        "flag": pa.array(columns["flag"], pa.bool_()),
        "extra": pa.array([line.get("extra") for line in ODD_LINES]),  # nested, and no column of the table
    })  # fmt: skip
    data = stack.home / "odd.parquet"
    pq.write_table(table, data)
    return data, {"format": "parquet"}


def handmade_batch(stack: Stack, data: Path, encoding: dict[str, str]) -> Path:
    """SCHEMA + BATCH messages of one file of the odd lines, once appended (no key) and once
    upserted by id."""
    messages = []
    for stream, keys in (("odd_appended", []), ("odd_upserted", ["id"])):
        messages.append({"type": "SCHEMA", "stream": stream, "schema": {"type": "object", "properties": PROPERTIES},
                         "key_properties": keys})  # fmt: skip
        messages.append({"type": "BATCH", "stream": stream, "encoding": encoding, "manifest": [f"file://{data}"]})
    out = stack.home / f"{data.name}.singer"
    out.write_text("".join(json.dumps(message) + "\n" for message in messages))
    return out


def test_project_sink_lands_the_same_raw_rows_as_the_stock_sink(demo_stack: Stack, stack: Stack) -> None:
    source = demo_stack
    batches = source.home / "b"
    parquet = tap_csv_batches(batches, {"format": "parquet"}, BATCH_SIZE)
    outputs = {
        "batch_parquet": tap_output(source, "tap-csv", name="parquet", env=parquet),
        "records": tap_output(source, "tap-csv--records"),
        "cars": tap_output(source, "tap-postgres"),
        "handmade_parquet": handmade_batch(source, *handmade_parquet(source)),
    }  # fmt: skip
    messages = [json.loads(line) for line in outputs["batch_parquet"].read_text().splitlines()]
    batches = [message for message in messages if message["type"] == "BATCH"]
    assert len(batches) >= 4000 // BATCH_SIZE, "the tap sent no BATCH files"
    assert {message["encoding"]["format"] for message in batches} == {"parquet"}
    assert not any(message["type"] == "RECORD" for message in messages)

    # The odd lines also through multi-row INSERT (use_copy: false), where both sinks keep the
    # stock insert.
    runs = [(path, messages, {}) for path, messages in outputs.items()]
    runs.append(("handmade_parquet_insert", outputs["handmade_parquet"], {"TARGET_POSTGRES_USE_COPY": "false"}))
    for path, messages, env in runs:
        landed = {}
        for target in ("target-postgres", "target-postgres--stock"):
            warehouse = stack.fresh(f"sink_{path}_{target.replace('-', '_')}")
            log = load(warehouse, target, messages, env)
            assert ("Inserting with SQL: COPY" in log) == (not env), f"{path}: {target} did not load as configured"
            landed[target] = raw_tables(warehouse)
        project, stock = landed["target-postgres"], landed["target-postgres--stock"]
        assert project, f"{path}: nothing landed"
        assert sum(len(rows) for _, rows in project.values()) > 0, f"{path}: empty raw tables"
        assert project == stock, f"{path}: the project's sink landed other rows than the stock sink:\n" + "\n".join(
            first_difference(table, project.get(table), stock.get(table)) for table in sorted({*project, *stock})
        )


def test_numbers_land_with_the_digits_the_json_wrote(demo_stack: Stack, stack: Stack) -> None:
    """COPY takes each decoded Decimal as it is: no float round trip (scale and digits kept)."""
    amounts = ["0.1234567890123456789", "12015", "16099.90", "-1.5e-7", "null"]
    schema = {"type": "object", "properties": {"id": {"type": ["integer"]}, "amount": {"type": ["number", "null"]}}}
    messages = demo_stack.home / "digits.singer"
    messages.write_text(
        json.dumps({"type": "SCHEMA", "stream": "digits", "schema": schema, "key_properties": []}) + "\n"
        + "".join(f'{{"type": "RECORD", "stream": "digits", "record": {{"id": {i}, "amount": {amount}}}}}\n'
                  for i, amount in enumerate(amounts, start=1))
    )  # fmt: skip
    warehouse = stack.fresh("sink_digits")
    assert "Inserting with SQL: COPY" in load(warehouse, "target-postgres", messages)
    assert warehouse.query("select id, amount::text from raw.digits order by id") == [
        (1, "0.1234567890123456789"),
        (2, "12015"),
        (3, "16099.90"),
        (4, "-0.00000015"),
        (5, None),
    ]


def test_raw_tables_are_indexed_and_summarised_by_load_time(demo_stack: Stack, stack: Stack) -> None:
    """Each raw table gets a BRIN index on its load time (the expression dbt staging filters
    on), summarised to its last page at the end of every load and analysed after its first; a
    table that predates the index gets it on its next load."""
    messages = tap_output(demo_stack, "tap-csv")
    warehouse = stack.fresh("sink_load_time")
    index = "raw.transactions__load_time"

    def check(loaded_rows: int) -> None:
        definition = warehouse.query("select indexdef from pg_indexes where schemaname = 'raw' and indexname = %s",
                                     (index.split(".")[1],))  # fmt: skip
        assert definition, f"no {index} after a load"
        assert "USING brin (COALESCE(_sdc_batched_at, _extracted_at))" in definition[0][0]
        assert warehouse.query("select count(*) from raw.transactions")[0][0] == loaded_rows
        # Nothing left to summarise: every range, the last partial one too, has its summary.
        assert warehouse.query("select brin_summarize_new_values(%s::regclass)", (index,))[0][0] == 0
        analysed = warehouse.query(
            "select coalesce(last_analyze, last_autoanalyze) is not null from pg_stat_user_tables"
            " where relid = 'raw.transactions'::regclass"
        )
        assert analysed == [(True,)], "the first load did not analyse raw.transactions"

    load(warehouse, "target-postgres", messages)
    check(4000)
    with warehouse.warehouse() as conn:  # a table loaded before the index existed
        conn.execute(f"drop index {index}")
    load(warehouse, "target-postgres", messages)
    check(8000)


def test_a_table_the_loader_cannot_index_still_loads_with_a_warning(demo_stack: Stack, stack: Stack) -> None:
    """A raw table owned by another role (created beforehand by an administrator, say): the
    loader may insert but not index it. The load lands its rows and says why the index is
    missing; staging then reads raw without it, more slowly, with the same rows."""
    messages = tap_output(demo_stack, "tap-csv")
    warehouse = stack.fresh("sink_not_owner")
    load(warehouse, "target-postgres", messages)
    loader = warehouse.env["WAREHOUSE_LOADER_USER"]
    with warehouse.warehouse() as conn:  # the administrator takes the table over
        conn.execute("drop index raw.transactions__load_time")
        conn.execute("alter table raw.transactions owner to current_user")
        conn.execute(f'grant select, insert on raw.transactions to "{loader}"')
    log = load(warehouse, "target-postgres", messages)
    assert "Load-time index of transactions not refreshed" in log
    assert "must be owner" in log
    assert warehouse.query("select count(*) from raw.transactions")[0][0] == 8000
    assert warehouse.query("select to_regclass('raw.transactions__load_time') is null") == [(True,)]
