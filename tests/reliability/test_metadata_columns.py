"""Guarantee: tap-csv's metadata columns travel to any Singer target, and a warehouse loaded
before they were renamed migrates on its next run.

tap-csv's own columns (`_source_file`, `_source_lineno`, `_source_file_mtime`, `_extracted_at`)
are not `_sdc_*`: singer-sdk reserves `_sdc_extracted_at` and its kin for a target's own
metadata, and a target that adds none drops them (MeltanoLabs target-csv dropped staging's
version order). target-postgres still adds its `_sdc_*` columns (add_record_metadata).
"""

from __future__ import annotations

import csv
import json

from infinit.stack import Stack
from tests.reliability import pipeline

METADATA = ["_source_file", "_source_lineno", "_source_file_mtime", "_extracted_at"]
# the names an older release gave them (load/target-postgres: rename_legacy_metadata)
LEGACY = {new: old for old, new in zip(["_sdc_source_file", "_sdc_source_lineno", "_sdc_source_file_mtime",
                                        "_sdc_extracted_at"], METADATA, strict=True)}  # fmt: skip


def test_every_column_reaches_a_third_party_target(stack: Stack) -> None:
    """`tap-csv--records` (RECORD messages) into MeltanoLabs target-csv from PyPI (pinned in
    load/target-csv.meltano.yml): every column of every stream's schema is in its CSV file."""
    child = stack.fresh("target_csv")
    pipeline.write_demo(child, 30)
    (child.drops / "transactions_bad.csv").write_text(
        "transaction_id,product_id,client_id,quantity,price,timestamp\n1,101,201,0,1.00,2024-01-01 10:00:00\n"
    )
    out = child.home / "target-csv"
    pipeline.meltano(child, "run", "tap-csv--records", "target-csv", env={"TARGET_CSV_OUTPUT_PATH": str(out)})
    about = json.loads(pipeline.meltano(child, "invoke", "tap-csv", "--discover").stdout)
    schemas = {entry["tap_stream_id"]: list(entry["schema"]["properties"]) for entry in about["streams"]}
    counts = {"transactions": 30, "clients": 20, "file_rejects": 1}
    for stream, columns in schemas.items():
        assert set(METADATA) <= set(columns), f"{stream} lacks tap-csv's metadata columns"
        with (out / f"{stream}.csv").open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        assert set(rows[0]) == set(columns), f"{stream}: {sorted(set(columns) - set(rows[0]))} did not arrive"
        assert len(rows) == counts[stream]
        assert all(row[name] for row in rows for name in METADATA), f"{stream}: an empty metadata value"


def test_a_warehouse_of_the_old_names_migrates_on_its_next_run(stack: Stack) -> None:
    """Raw tables as an older release left them (tap-csv's metadata as `_sdc_*`): the next
    `meltano run elt` renames the columns (the rows keep their values), loads the new file and
    builds marts holding every sale once."""
    child = stack.fresh("legacy_metadata")
    pipeline.write_demo(child, 40)
    pipeline.elt(child)
    before = pipeline.fact_ids(child)
    with child.warehouse() as conn:  # back to the old layout: the loader's column dropped, the tap's renamed
        for table in ("transactions", "clients", "file_rejects"):
            conn.execute(f"alter table raw.{table} drop column _sdc_extracted_at cascade")  # and the views on it
            for new, old in LEGACY.items():
                conn.execute(f"alter table raw.{table} rename column {new} to {old}")
    rows = pipeline.daily_rows(1, 5, first_id=900_000)[0]
    pipeline.write_daily_file(child.drops, 0, rows)

    pipeline.elt(child)

    for table in ("transactions", "clients", "file_rejects"):
        columns = set(pipeline.columns(child, "raw", table))
        assert set(METADATA) <= columns and not set(LEGACY.values()) & (columns - {"_sdc_extracted_at"}), table
    assert pipeline.count(child, "raw.transactions where _source_file is null or _extracted_at is null") == 0
    assert pipeline.fact_ids(child) == before | {900_000 + n for n in range(5)}
    assert pipeline.fact_integrity(child)[0] == len(before) + 5
    index = child.query("select indexdef from pg_indexes where indexname = 'transactions__load_time'")
    assert "_extracted_at" in index[0][0] and "_sdc_extracted_at" not in index[0][0]
