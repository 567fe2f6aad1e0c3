"""Guarantee: bad input is loaded, quarantined with a reason, or refused with a clear
file-level error, exactly as documented in corpus/cases.yml, and nothing is lost:
rows in = rows loaded + rows quarantined, for every file.

Two levels:
- every case alone through the real tap-csv executable (fast; one file, one process);
- every loadable case together through the real pipeline into the warehouse, reconciled
  against raw, raw.file_rejects and the marts.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from tap_csv import files

from infinit.stack import ROOT, Stack
from tests.reliability import pipeline

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict] = yaml.safe_load((CORPUS / "cases.yml").read_text())["cases"]
TAP = ROOT / ".meltano" / "extractors" / "tap-csv" / "venv" / "bin" / "tap-csv"
SECRET = "corpus-" + secrets.token_hex(8)


def materialise(case: dict, name: str, folder: Path) -> Path:
    """Make a case's entry in `folder`: a copy of the corpus file (gunzipping *.gz: the 10 MB line
    is stored compressed, and writing its name in `name_encoding`), or the link or FIFO it names."""
    target = folder / name.removesuffix(".gz")
    if "name_encoding" in case:
        target = folder / os.fsdecode(target.name.encode(case["name_encoding"]))
    if "link_to" in case:
        target.symlink_to(case["link_to"])
    elif case.get("fifo"):
        os.mkfifo(target)
    elif name.endswith(".gz"):
        target.write_bytes(gzip.decompress((CORPUS / name).read_bytes()))
    else:
        shutil.copyfile(CORPUS / name, target)
    return target


def entity_of(name: str) -> str:
    return name.split("_", 1)[0]


@dataclass
class TapRun:
    returncode: int
    stderr: str
    output: str  # stdout and stderr
    records: Counter[str]  # RECORD messages per stream
    reasons: Counter[str]  # reject reason codes
    state: dict

    @property
    def loaded(self) -> int:
        return sum(v for k, v in self.records.items() if k != "file_rejects")


def run_tap(case: dict, folder: Path, state: dict | None = None) -> TapRun:
    """The real tap-csv executable on a case's drop folder, with the project's contracts and its
    formats (CSV; a .json file is an array or JSON Lines), a secret in its environment."""
    if case.get("drop_folder") == "missing":
        folder = folder / "missing"
    suffixes = {(entity_of(name), Path(name.removesuffix(".gz")).suffix) for name in case["files"]} or {
        ("transactions", ".csv")
    }
    config = {
        "files": [  # one entry per entity: a glob over this case's folder
            {"entity": entity, "path": str(folder / f"{entity}*{suffix}"), "format": suffix.lstrip(".")}
            for entity, suffix in sorted(suffixes)
        ],
        "contracts_dir": str(ROOT / "extract" / "contracts"),
        "add_metadata_columns": True,
        "on_reject": "quarantine",
    }
    for entry in config["files"]:
        entry["format"] = "auto" if entry["format"] == "json" else entry["format"]
    work = folder.parent
    (work / "tap-config.json").write_text(json.dumps(config))
    (work / "state.json").write_text(json.dumps(state or {}))
    argv = [str(TAP), "--config", str(work / "tap-config.json"), "--state", str(work / "state.json")]
    done = subprocess.run(
        argv, cwd=ROOT, env={**os.environ, "CORPUS_SECRET": SECRET}, capture_output=True, text=True, check=False
    )
    records: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    last_state = state or {}
    for line in done.stdout.splitlines():
        message = json.loads(line)
        if message.get("type") == "STATE":
            last_state = message["value"]
        if message.get("type") != "RECORD":
            continue
        records[message["stream"]] += 1
        if message["stream"] == "file_rejects":
            reasons[message["record"]["reason"].split(":", 1)[0]] += 1
    return TapRun(done.returncode, done.stderr, done.stdout + done.stderr, records, reasons, last_state)


def test_the_corpus_covers_every_case_of_the_issue() -> None:
    covered = {topic for case in CASES for topic in case["covers"]}
    required = {
        "wrong value count", "legacy index missing on some rows", "unparsable number", "unparsable date",
        "empty required value", "duplicate key within a file", "duplicate key across files", "unknown car",
        "unknown client", "negative or zero quantity", "future date", "non-UTF-8 bytes", "BOM", "empty file",
        "header only", "truncated JSON", "JSON with a wrong type", "extra column", "missing column",
        "very long fields", "CRLF line endings", "10 MB single line",
        # issue 24: files being written, what the tap may read, clear outcomes, no poison rows
        "last line without newline", "link out of the drop folder", "FIFO or device", "file name not valid UTF-8",
        "missing drop folder", "trailing delimiter", "JSON Lines in a .json file", "value past a warehouse column",
        "reserved id of the unknown member", "number too precise", "timestamp past the year 9999", "id of 2^63",
        # text no column can store, a field named twice
        "NUL character in a value", "lone surrogate in a value", "NUL byte in a CSV line", "a JSON field named twice",
    }  # fmt: skip
    assert required <= covered, f"not covered: {sorted(required - covered)}"
    files = [name for case in CASES if "link_to" not in case and not case.get("fifo") for name in case["files"]]
    assert len(files) >= 20 and len(set(files)) == len(files)
    assert sorted(files) == sorted(p.name for p in CORPUS.iterdir() if p.name != "cases.yml")


def _params() -> list:
    out = []
    for case in CASES:
        marks = []
        if case.get("known_bug"):
            marks.append(pytest.mark.xfail(strict=True, reason=case["known_bug"]))
        out.append(pytest.param(case, id=case["id"], marks=marks))
    return out


@pytest.mark.parametrize("case", _params())
def test_each_case_has_its_documented_outcome(case: dict, tmp_path: Path) -> None:
    folder = tmp_path / "drops"
    folder.mkdir()
    paths = [materialise(case, name, folder) for name in case["files"]]
    run = first = run_tap(case, folder)
    loaded, quarantined, reasons = run.loaded, run.records["file_rejects"], run.reasons
    if "first_run" in case:  # the file may still be being written: the next run finds it unchanged
        assert first.returncode == 0, first.stderr[-3000:]
        assert (first.loaded, quarantined) == (case["first_run"]["loaded"], 0)
        assert re.search(case["first_run"]["warning"], first.stderr), first.stderr[-3000:]
        run = run_tap(case, folder, first.state)
        loaded, quarantined, reasons = loaded + run.loaded, run.records["file_rejects"], run.reasons
    for done in (first, run):  # never a secret; of a drop file's lines, only bounded excerpts in the log
        assert SECRET not in done.output
        assert max(map(len, done.stderr.splitlines()), default=0) < 2_000
    if case["outcome"] == "file_error":
        assert run.returncode != 0, "a file-level fault must fail the run"
        assert re.search(case["error"], run.stderr), run.stderr[-3000:]
        assert (paths[0].name if paths else str(folder / "missing")) in run.stderr, "the error names the file"
        assert loaded == 0, "a refused file loads nothing"
        return
    assert run.returncode == 0, run.stderr[-3000:]
    assert loaded == case["loaded"]
    assert dict(reasons) == case.get("quarantined", {})
    # Reconciliation: every record in the file is either loaded or quarantined.
    assert case["rows_in"] == loaded + quarantined


LOADABLE = [c for c in CASES if c["outcome"] != "file_error" and not c.get("known_bug")]


@pytest.fixture(scope="module")
def corpus_stack(stack: Stack) -> Stack:
    """Every loadable corpus file in one drop folder, run through `meltano run elt` twice (the
    second run finds the files unchanged: it reads what the first left for it, see first_run)."""
    child = stack.fresh("m_corpus")
    cars = child.home / "cars-only"
    cars.mkdir()
    child.python("-m", "infinit.demo_data", "--out", str(cars), "--transactions", "1")  # the 10-car catalog
    for case in LOADABLE:
        for name in case["files"]:
            materialise(case, name, child.drops)
    pipeline.elt(child)
    pipeline.elt(child)
    return child


def raw_name(case: dict, name: str) -> str:
    """A corpus file's name as raw's _source_file ends (bytes that are not UTF-8 escaped)."""
    name = name.removesuffix(".gz")
    return files.shown(os.fsdecode(name.encode(case["name_encoding"]))) if "name_encoding" in case else name


def test_warehouse_reconciles_rows_in_with_loaded_plus_quarantined(corpus_stack: Stack) -> None:
    raw = dict(
        corpus_stack.query("select regexp_replace(_source_file, '^.*/', ''), count(*) from raw.transactions group by 1")
        + corpus_stack.query("select regexp_replace(_source_file, '^.*/', ''), count(*) from raw.clients group by 1")
    )
    rejects = dict(
        corpus_stack.query("select regexp_replace(_source_file, '^.*/', ''), count(*) from raw.file_rejects group by 1")
    )
    reasons = Counter(
        dict(corpus_stack.query("select split_part(reason, ':', 1), count(*) from raw.file_rejects group by 1"))
    )
    expected_reasons: Counter[str] = Counter()
    for case in LOADABLE:
        names = [raw_name(case, n) for n in case["files"]]
        loaded = sum(raw.get(n, 0) for n in names)
        quarantined = sum(rejects.get(n, 0) for n in names)
        assert (loaded, quarantined) == (case["loaded"], sum(case.get("quarantined", {}).values())), case["id"]
        assert case["rows_in"] == loaded + quarantined, case["id"]
        expected_reasons.update(case.get("quarantined", {}))
    assert reasons == expected_reasons
    # Quarantined rows keep their source text and say which line they came from.
    assert corpus_stack.query(
        "select count(*) from raw.file_rejects where raw_line is null or _source_lineno is null or reason = ''"
    ) == [(0,)]


def test_marts_hold_every_loaded_sale_once_with_the_documented_meaning(corpus_stack: Stack) -> None:
    fact = pipeline.fact_ids(corpus_stack)
    staged = {int(r[0]) for r in corpus_stack.query("select distinct transaction_id from raw.transactions")}
    assert fact == staged, "every loaded sale reaches the fact table"
    assert pipeline.fact_integrity(corpus_stack)[0] == len(fact), "no sale twice"
    # One rule, the last version delivered: across files the later file in path order wins,
    # within a file the later line.
    assert corpus_stack.query("select unit_price from marts.fct_transactions where transaction_id = 900") == [(200,)]
    assert corpus_stack.query("select unit_price from marts.fct_transactions where transaction_id = 801") == [(2,)]
    # The contract's extremes build: a sale far above its list price, a car and a client 0.
    assert corpus_stack.query(
        "select quantity, unit_price, is_unknown_car, is_unknown_client from marts.fct_transactions"
        " where transaction_id in (2610, 2611) order by transaction_id"
    ) == [(2147483647, Decimal("9999999999.99"), False, False), (1, 0, True, True)]
    # Unknown car / client: kept, attached to an inferred "Unknown" member.
    assert corpus_stack.query(
        "select is_unknown_car, is_unknown_client from marts.fct_transactions "
        "where transaction_id in (1001, 1002) order by transaction_id"
    ) == [(True, False), (False, True)]
    assert corpus_stack.query("select brand from marts.dim_cars where product_id = 999") == [("Unknown",)]
    # A future date is a sale like any other (reported in its month).
    assert corpus_stack.query("select sale_month::text from marts.fct_transactions where transaction_id = 1201") == [
        ("2099-01-01",)
    ]
