"""Real `meltano run tap-csv target-postgres` against a throwaway warehouse.

Counts are asserted twice: in the warehouse (raw.*) and in the tap's per-file summary
log line (`tap-csv summary: entity=... file=... action=... read= emitted= rejected=`).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
from decimal import Decimal

from infinit.stack import Stack

UTC = dt.UTC

# A daily drop in the clean shape: 5 good rows and one row per reject reason.
DAILY = """transaction_id,product_id,client_id,quantity,price,timestamp
900001,101,201,1,16199.99,2024-07-31 08:00:00
900002,102,202,2,13000.10,2024-07-31 09:00:00
900003,103,203,1,18999.99
900004,104,204,1,abc,2024-07-31 10:00:00
900005,105,205,1,20500.00,2024-07-31 25:61:00
900006,,206,1,23000.90,2024-07-31 11:00:00
900001,106,207,1,23000.90,2024-07-31 12:00:00
900007,107,208,1,25000.50,2024-07-31T13:00:00+02:00
900008,108,209,x,21000.75,2024-07-31 14:00:00
900009,109,210,1,24899.95,2024-07-31 15:00:00
900010,110,211,2,17500,2024-07-31 16:00:00
"""
DAILY_REJECTS = {
    4: ("wrong_value_count", None),
    5: ("invalid_decimal", "price"),
    6: ("invalid_timestamp", "timestamp"),
    7: ("missing_required", "product_id"),
    10: ("invalid_integer", "quantity"),
}
DAILY_GOOD = 11 - len(DAILY_REJECTS)  # data lines minus rejects: 900001 (twice)/2/7/9/10

CLIENTS_EXTRA = """[
  {"client_id": 301, "name": "Zoé", "email": "zoe@example.com"},
  {"client_id": "three-o-two", "name": "Yann", "email": "yann@example.com"},
  {"client_id": 303, "name": "Xavier"}
]
"""


def meltano(stack: Stack, *args: str, check: bool = True, env: dict[str, str] | None = None):
    # each stack already has a private .meltano (tests/support/stack.py: meltano_sys_dir)
    return stack.meltano(*args, check=check, env=env)


def summaries(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    """The tap's per-file summary lines, by file name."""
    found: dict[str, dict[str, str]] = {}
    for match in re.finditer(r"tap-csv summary: (.*?) \(", result.stderr + result.stdout):
        fields = dict(part.split("=", 1) for part in match.group(1).split())
        found[fields["file"].rsplit("/", 1)[-1]] = fields
    return found


def count(stack: Stack, table: str, where: str = "true") -> int:
    return int(stack.query(f"select count(*) from raw.{table} where {where}")[0][0])


def test_load_rerun_append_full_refresh(demo_stack: Stack) -> None:
    stack = demo_stack
    (stack.drops / "transactions_2024-07-31.csv").write_text(DAILY, encoding="utf-8")
    (stack.drops / "clients_extra.json").write_text(CLIENTS_EXTRA, encoding="utf-8")
    source_rows = 4000 + 11

    # --- first run: everything, minus the quarantined rows --------------------------
    first = meltano(stack, "run", "tap-csv", "target-postgres")
    logged = summaries(first)
    assert logged["transactions.csv"]["emitted"] == "4000"
    assert logged["transactions_2024-07-31.csv"]["rejected"] == str(len(DAILY_REJECTS))
    assert "legacy shape" in first.stderr
    assert count(stack, "transactions") == source_rows - len(DAILY_REJECTS) == 4000 + DAILY_GOOD
    assert count(stack, "clients") == 20 + 2
    rejects = stack.query(
        "select entity, _source_lineno, split_part(reason, ':', 1), column_name, raw_line, _source_file "
        "from raw.file_rejects order by entity, _source_lineno"
    )
    daily = {r[1]: (r[2], r[3]) for r in rejects if r[0] == "transactions"}
    assert daily == DAILY_REJECTS
    lines = DAILY.splitlines()
    for entity, lineno, _, _, raw_line, source in rejects:
        if entity == "transactions":
            assert raw_line == lines[lineno - 1]
            assert source.endswith("transactions_2024-07-31.csv")
    client_rejects = [(r[1], r[2], r[3]) for r in rejects if r[0] == "clients"]
    assert client_rejects == [(3, "invalid_integer", "client_id")]
    # An offset timestamp is converted to UTC; a price with no decimals stays exact.
    assert stack.query("select timestamp, price from raw.transactions where transaction_id = 900007") == [
        (dt.datetime(2024, 7, 31, 11, 0), Decimal("25000.50"))
    ]

    # The legacy CSV is aligned: the first data row, field by field.
    with (stack.drops / "transactions.csv").open(encoding="utf-8") as fh:
        header, first_row = next(csv.reader(fh)), next(csv.reader(fh))
    assert len(first_row) == len(header) + 1
    index, tid, pid, cid, qty, price, stamp = first_row
    assert index == "0"
    got = stack.query(
        "select transaction_id, product_id, client_id, quantity, price, timestamp, _source_file_mtime, "
        "_extracted_at from raw.transactions "
        "where _source_lineno = 2 and _source_file like '%/transactions.csv'"
    )
    assert got[0][:6] == (int(tid), int(pid), int(cid), int(qty), Decimal(price), dt.datetime.fromisoformat(stamp))
    assert 101 <= got[0][1] <= 110 and 201 <= got[0][2] <= 220 and got[0][3] in (1, 2)
    # One extraction time per file and run: a deterministic dedup order.
    assert count(stack, "transactions", "_extracted_at is null or _source_file_mtime is null") == 0
    assert stack.query("select count(distinct _extracted_at) from raw.transactions group by _source_file") == [
        (1,),
        (1,),
    ]

    # The raw layout the dbt staging models build on.
    types = dict(
        stack.query(
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name in ('transactions', 'clients', 'file_rejects')"
        )
    )
    assert types["transactions.transaction_id"] == "bigint"
    assert types["transactions.price"] == "numeric"
    assert types["transactions.timestamp"].startswith("timestamp")
    assert types["transactions._source_lineno"] == "bigint"
    assert types["clients.client_id"] == "bigint"
    assert types["file_rejects.column_name"] == "text"
    for table in ("transactions", "clients", "file_rejects"):
        for column in ("_source_file", "_source_lineno", "_source_file_mtime", "_extracted_at"):
            assert f"{table}.{column}" in types

    # --- second run, nothing changed: nothing read -----------------------------------
    second = meltano(stack, "run", "tap-csv", "target-postgres")
    logged = summaries(second)
    assert {f["action"] for f in logged.values()} == {"skip"}
    assert {f["emitted"] for f in logged.values()} == {"0"}
    assert count(stack, "transactions") == 4000 + DAILY_GOOD
    assert count(stack, "file_rejects") == len(DAILY_REJECTS) + 1

    # --- append 10 rows (legacy shape, as the export does): exactly those 10 ----------
    with (stack.drops / "transactions.csv").open("a", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for i in range(10):
            writer.writerow([4000 + i, 4001 + i, 101 + i, 201 + i, 1, "19999.99", f"2024-08-01 0{i}:00:00"])
    third = meltano(stack, "run", "tap-csv", "target-postgres")
    logged = summaries(third)
    assert logged["transactions.csv"]["action"] == "resume"
    assert logged["transactions.csv"]["emitted"] == "10"
    assert logged["transactions_2024-07-31.csv"]["emitted"] == "0"
    assert count(stack, "transactions") == 4000 + DAILY_GOOD + 10
    assert stack.query(
        "select min(transaction_id), max(transaction_id), min(_source_lineno), max(_source_lineno) "
        "from raw.transactions where transaction_id between 4001 and 4010"
    ) == [(4001, 4010, 4002, 4011)]
    assert count(stack, "file_rejects") == len(DAILY_REJECTS) + 1

    # --- full refresh: everything again; dedup by key gives the same set (900001 twice in a file) --
    fourth = meltano(stack, "run", "--full-refresh", "tap-csv", "target-postgres")
    assert {f["action"] for f in summaries(fourth).values()} == {"full"}
    assert count(stack, "transactions") == 2 * (4010 + DAILY_GOOD)
    latest = stack.query(
        "select count(*) from (select *, row_number() over (partition by transaction_id order by "
        "_extracted_at desc, _source_file_mtime desc, _source_lineno desc) as n "
        "from raw.transactions) t where n = 1"
    )
    assert latest == [(4010 + DAILY_GOOD - 1,)]


def test_batch_path_loads_the_same_rows(demo_stack: Stack) -> None:
    """tap-csv (Parquet BATCH files) and tap-csv--records (RECORD messages) give the same raw rows."""
    stack = demo_stack
    (stack.drops / "transactions_2024-07-31.csv").write_text(DAILY, encoding="utf-8")
    batch = meltano(stack, "run", "tap-csv", "target-postgres")
    assert "batch manifests" in batch.stderr
    assert re.search(r"[1-9]\d* batch manifests", batch.stderr)
    meltano(stack, "run", "tap-csv--records", "target-postgres")  # its own state: reads everything too

    columns = (
        "transaction_id, product_id, client_id, quantity, price, timestamp, "
        "_source_file, _source_lineno, _source_file_mtime"
    )
    runs = stack.query("select _extracted_at, _sdc_received_at is null from raw.transactions group by 1, 2 order by 1")
    assert [r[1] for r in runs] == [True, True, False, False]  # batch rows: no target metadata
    by_run = []
    for first, second in ((runs[0][0], runs[1][0]), (runs[2][0], runs[3][0])):
        by_run.append(
            sorted(
                stack.query(f"select {columns} from raw.transactions where _extracted_at in (%s, %s)", (first, second))
            )
        )
    assert len(by_run[0]) == 4000 + DAILY_GOOD
    assert by_run[0] == by_run[1]
    assert count(stack, "file_rejects") == 2 * len(DAILY_REJECTS)


def test_file_fault_and_fail_fast_stop_the_run(fresh_stack: Stack) -> None:
    stack = fresh_stack
    (stack.drops / "transactions.csv").write_text(
        "transaction_id,product_id,client_id,quantity,timestamp\n1,101,201,1,2024-01-01 00:00:00\n",
        encoding="utf-8",
    )
    (stack.drops / "clients.json").write_text("[]\n", encoding="utf-8")
    failed = meltano(stack, "run", "tap-csv", "target-postgres", check=False)
    assert failed.returncode != 0
    assert "transactions.csv: missing required column(s) ['price']" in failed.stderr

    (stack.drops / "transactions.csv").write_text(DAILY, encoding="utf-8")
    failed = meltano(stack, "run", "tap-csv", "target-postgres", check=False, env={"TAP_CSV_ON_REJECT": "fail"})
    assert failed.returncode != 0
    assert "transactions.csv: line 4: wrong_value_count" in failed.stderr


def test_precreated_timestamptz_columns_are_kept(fresh_stack: Stack) -> None:
    """target-postgres creates `timestamp` (no time zone) for date-time; a raw table created
    beforehand with `timestamptz` keeps its types, and the UTC instants land exactly."""
    stack = fresh_stack
    (stack.drops / "transactions.csv").write_text(
        "transaction_id,product_id,client_id,quantity,price,timestamp\n"
        "1,101,201,1,16199.99,2023-01-31 23:30:00\n2,102,202,2,13000.10,2024-07-31T13:00:00+02:00\n",
        encoding="utf-8",
    )
    (stack.drops / "clients.json").write_text("[]\n", encoding="utf-8")
    loader = stack.env["WAREHOUSE_LOADER_USER"]
    with stack.warehouse() as conn:
        conn.execute(
            "create table raw.transactions (transaction_id bigint, product_id bigint, client_id bigint, "
            "quantity bigint, price numeric, timestamp timestamptz, _source_file text, "
            "_source_lineno bigint, _source_file_mtime timestamptz, _extracted_at timestamptz)"
        )
        conn.execute(f'alter table raw.transactions owner to "{loader}"')
    meltano(stack, "run", "tap-csv", "target-postgres")
    types = dict(
        stack.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'transactions'"
        )
    )
    assert types["timestamp"] == types["_extracted_at"] == "timestamp with time zone"
    got = stack.query("select transaction_id, timestamp at time zone 'UTC' from raw.transactions order by 1")
    assert got == [(1, dt.datetime(2023, 1, 31, 23, 30)), (2, dt.datetime(2024, 7, 31, 11, 0))]
