"""A file read while it is being written: only complete records are read, none twice, none lost.

Hypothesis generates a file (CSV with quoted multi-line values and non-ASCII text, JSON Lines or
a JSON array; with or without a final newline) and the sizes at which the tap runs while a
writer appends it, cuts anywhere (inside the header, a line, a quoted value, a UTF-8
character). After the writer is done, two more runs (the second finds the file unchanged). What
the runs delivered together equals what two runs over the finished file deliver: the same
records with the same line numbers, and no reject.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tap_runs import run_tap

from tap_csv import client

CONTRACT = """entity: notes
primary_key: [id]
allow_extra_columns: false
fields:
  - {name: id, type: integer, required: true}
  - {name: note, type: string}
"""
TEXT = st.text(alphabet='ab ,"\né€', max_size=12)
NOTES = st.lists(TEXT, min_size=1, max_size=12)
VOLATILE = {"_extracted_at", "_source_file", "_source_file_mtime"}


def render(kind: str, notes: list[str], final_newline: bool) -> bytes:
    rows = [{"id": index + 1, "note": note} for index, note in enumerate(notes)]
    if kind == "json":
        text = json.dumps(rows, indent=2, ensure_ascii=False)
    elif kind == "jsonl":
        text = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n" if kind == "csv-crlf" else "\n")
        writer.writerow(["id", "note"])
        writer.writerows([row["id"], row["note"]] for row in rows)
        text = out.getvalue().removesuffix(writer.dialect.lineterminator)
    return (text + ("\n" if final_newline else "")).encode()


def runs(folder: Path, kind: str, sizes: list[int], data: bytes) -> tuple[list[list[dict]], list[dict]]:
    """The records of a tap run at each size the file reaches (appended), then two more; and the rejects."""
    suffix = {"json": "json", "jsonl": "jsonl"}.get(kind, "csv")
    path = folder / f"notes.{suffix}"
    config = {"files": [{"entity": "notes", "path": str(path)}], "contracts_dir": str(folder)}
    delivered, rejects, state, written = [], [], {}, 0
    for size in [*sizes, len(data), len(data)]:
        with path.open("ab") as fh:
            fh.write(data[written:size])
            written = size
        run = run_tap(config, state)
        state = run.state or state
        delivered.append([{k: v for k, v in r.items() if k not in VOLATILE} for r in run.rows("notes")])
        rejects += run.rows("file_rejects")
    return delivered, rejects


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["csv", "csv-crlf", "jsonl", "json"]),
    notes=NOTES,
    final_newline=st.booleans(),
    cuts=st.lists(st.floats(0, 1), max_size=6),
    block=st.sampled_from([1, 3, 10_000]),
)
def test_runs_during_the_writing_deliver_what_one_load_of_the_finished_file_does(
    kind: str, notes: list[str], final_newline: bool, cuts: list[float], block: int
) -> None:
    data = render(kind, notes, final_newline)
    sizes = sorted({int(cut * (len(data) - 1)) for cut in cuts})  # each run finds the file grown
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(client, "CHUNK_ROWS", block):
        for name in ("during", "once"):
            (Path(tmp) / name).mkdir()
            (Path(tmp) / name / "notes.yml").write_text(CONTRACT)
        during, rejects = runs(Path(tmp) / "during", kind, sizes, data)
        once, _ = runs(Path(tmp) / "once", kind, [], data)
    expected = [record for run in once for record in run]
    assert rejects == []
    assert [record["id"] for record in expected] == list(range(1, len(notes) + 1))
    if kind == "json":  # an array is read whole once it parses (again if it changes after that)
        assert expected in during and all(run in ([], expected) for run in during)
    else:
        assert [record for run in during for record in run] == expected


def test_a_grown_file_whose_last_line_was_read_without_newline_is_read_again(tmp_path: Path) -> None:
    """The rare case the rule cannot see coming: the writer stalls mid-line for a whole run
    interval (two runs find the file unchanged), then goes on. The line read too early is
    delivered again, whole, with the rest of the file (staging keeps the later delivery)."""
    (tmp_path / "notes.yml").write_text(CONTRACT)
    path = tmp_path / "notes.csv"
    path.write_bytes(b"id,note\n1,a\n2,b")
    config: dict[str, Any] = {"files": [{"entity": "notes", "path": str(path)}], "contracts_dir": str(tmp_path)}
    first = run_tap(config)
    second = run_tap(config, first.state)
    assert [r["id"] for r in first.rows("notes")] == [1] and [r["note"] for r in second.rows("notes")] == ["b"]
    with path.open("ab") as fh:
        fh.write(b"c\n3,d\n")
    third = run_tap(config, second.state)
    assert [(r["id"], r["note"]) for r in third.rows("notes")] == [(1, "a"), (2, "bc"), (3, "d")]
    assert third.files("notes")[str(path)]["offset"] == path.stat().st_size
