"""Stand-in loader for the file sources, used only while tap-csv (issue #3) is not usable.

It writes raw.transactions / raw.clients / raw.file_rejects in exactly the layout agreed with
the tap-csv worker (append-only, with _sdc_source_file, _sdc_source_lineno,
_sdc_source_file_mtime and _sdc_extracted_at), so the dbt models can be developed and tested
before the real `meltano run tap-csv target-postgres` path exists.

    python -m tests.transform.raw_loader [DROPS_DIR]
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from infinit import settings

DDL = """
create table if not exists raw.transactions (
    transaction_id bigint, product_id bigint, client_id bigint, quantity bigint,
    price numeric, "timestamp" timestamptz,
    _sdc_source_file text, _sdc_source_lineno bigint,
    _sdc_source_file_mtime timestamptz, _sdc_extracted_at timestamptz
);
create table if not exists raw.clients (
    client_id bigint, name text, email text,
    _sdc_source_file text, _sdc_source_lineno bigint,
    _sdc_source_file_mtime timestamptz, _sdc_extracted_at timestamptz
);
create table if not exists raw.file_rejects (
    entity text, reason text, column_name text, raw_line text,
    _sdc_source_file text, _sdc_source_lineno bigint,
    _sdc_source_file_mtime timestamptz, _sdc_extracted_at timestamptz
);
"""


def read_transactions(path: Path) -> list[tuple[object, ...]]:
    """Rows of a legacy (7 values, unnamed leading index) or clean (6 values) CSV."""
    rows: list[tuple[object, ...]] = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for lineno, values in enumerate(reader, start=2):
            if len(values) == len(header) + 1:
                values = values[1:]
            rows.append((*values, lineno))
    return rows


def load(conninfo: str, drops: Path) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(conninfo, autocommit=False) as conn:
        conn.execute(DDL)
        for path in sorted(drops.glob("transactions*.csv")):
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            with conn.cursor().copy(
                "copy raw.transactions (transaction_id, product_id, client_id, quantity, price,"
                ' "timestamp", _sdc_source_lineno, _sdc_source_file, _sdc_source_file_mtime,'
                " _sdc_extracted_at) from stdin"
            ) as copy:
                for row in read_transactions(path):
                    *values, lineno = row
                    values[5] = f"{values[5]}+00"
                    copy.write_row((*values, lineno, path.name, mtime, now))
        for path in sorted(drops.glob("clients*.json")):
            mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            records = json.loads(path.read_text())
            with conn.cursor().copy(
                "copy raw.clients (client_id, name, email, _sdc_source_file, _sdc_source_lineno,"
                " _sdc_source_file_mtime, _sdc_extracted_at) from stdin"
            ) as copy:
                for index, record in enumerate(records, start=1):
                    copy.write_row((record["client_id"], record["name"], record["email"], path.name, index, mtime, now))
        conn.commit()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    env = settings.load_env()
    db = settings.warehouse(env)
    drops = Path(args[0]) if args else settings.project_path(env["FILE_DROPS_DIR"])
    load(db.conninfo(env["WAREHOUSE_LOADER_USER"], env["WAREHOUSE_LOADER_PASSWORD"]), drops)
    print(f"loaded {drops} into raw")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
