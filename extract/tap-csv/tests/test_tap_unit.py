"""tap-csv in-process: formats, contracts, every reject reason, every file-level error, state."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tempfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tap_runs import CONTRACTS, Run, config_for, run_tap

from tap_csv import files
from tap_csv.files import FileError
from tap_csv.streams import RejectedRowError

HEADER = "transaction_id,product_id,client_id,quantity,price,timestamp\n"
TX = {"entity": "transactions", "path": "transactions*.csv"}


def tx_config(drops: Path, **extra: object) -> dict:
    return config_for({**TX, "path": str(drops / "transactions*.csv")}, **extra)


def reject_of(drops: Path, line: str) -> dict:
    """The reject of one bad line between two good ones (line 3 of the file)."""
    good = ["1,101,201,1,1.00,2024-01-01", "2,101,201,1,1.00,2024-01-01"]
    (drops / "transactions.csv").write_text(HEADER + "\n".join([good[0], line, good[1]]) + "\n", encoding="utf-8")
    run = run_tap(tx_config(drops))
    assert [r["transaction_id"] for r in run.rows("transactions")] == [1, 2]
    (reject,) = run.rows("file_rejects")
    return reject


# --- formats and typing -----------------------------------------------------------------


def test_legacy_csv_is_aligned_field_by_field(drops: Path) -> None:
    """The DESIGN.md example: 7 values under a 6-name header; the leading index is dropped."""
    (drops / "transactions.csv").write_text(
        HEADER + "0,1,101,216,2,24916.7,2024-02-12 11:46:05\n1,2,102,202,1,21679.55,2023-04-05 22:41:58\n",
        encoding="utf-8",
    )
    run = run_tap(tx_config(drops))
    first = run.rows("transactions")[0]
    assert first["transaction_id"] == 1
    assert first["product_id"] == 101
    assert first["client_id"] == 216
    assert first["quantity"] == 2
    assert first["price"] == Decimal("24916.7") and isinstance(first["price"], Decimal)
    assert first["timestamp"] == "2024-02-12T11:46:05+00:00"
    assert first["_source_lineno"] == 2
    assert first["_source_file"] == str((drops / "transactions.csv").resolve())
    assert run.files("transactions")[first["_source_file"]]["layout"] == "legacy"


def test_clean_csv_and_exact_decimals(drops: Path) -> None:
    (drops / "transactions.csv").write_text(
        HEADER + "1,101,216,2,24916.70,2024-02-12T11:46:05+01:00\n", encoding="utf-8"
    )
    run = run_tap(tx_config(drops))
    (row,) = run.rows("transactions")
    assert row["transaction_id"] == 1 and row["product_id"] == 101
    assert row["timestamp"] == "2024-02-12T10:46:05+00:00"
    # the Singer message text carries the decimal exactly as in the file (no float round trip)
    raw = next(m for m in run.messages if m["type"] == "RECORD")
    assert raw["record"]["price"] == Decimal("24916.70")


def test_pandas_style_index_header_is_dropped(drops: Path) -> None:
    (drops / "transactions.csv").write_text(",".join(["", *HEADER.split(",")]) + "0,1,101,216,2,1.5,2024-01-01\n")
    (row,) = run_tap(tx_config(drops)).rows("transactions")
    assert (row["transaction_id"], row["price"], row["timestamp"]) == (1, Decimal("1.5"), "2024-01-01T00:00:00+00:00")


def test_json_array_and_json_lines(drops: Path) -> None:
    (drops / "clients.json").write_text(
        json.dumps(
            [{"client_id": 201, "name": "Alice", "email": "a@x.fr"}, {"client_id": 202, "name": "Bob"}], indent=4
        ),
        encoding="utf-8",
    )
    (drops / "more.jsonl").write_text('{"client_id": 203, "name": "Chloé", "email": null}\n', encoding="utf-8")
    run = run_tap(
        config_for(
            {"entity": "clients", "path": str(drops / "clients.json")},
            {"entity": "more", "path": str(drops / "more.jsonl"), "contract": str(CONTRACTS / "clients.yml")},
        )
    )
    assert [(r["client_id"], r["email"], r["_source_lineno"]) for r in run.rows("clients")] == [
        (201, "a@x.fr", 2),
        (202, None, 7),
    ]
    assert [(r["client_id"], r["name"], r["_source_lineno"]) for r in run.rows("more")] == [(203, "Chloé", 1)]


def test_folder_glob_and_daily_drops(drops: Path) -> None:
    for day in ("2024-07-30", "2024-07-31"):
        (drops / f"transactions_{day}.csv").write_text(HEADER + f"{day[-1]},101,201,1,1.00,{day} 10:00:00\n")
    (drops / "notes.txt.part").write_text("ignored")
    by_glob = run_tap(tx_config(drops)).rows("transactions")
    by_folder = run_tap(config_for({**TX, "path": str(drops), "format": "csv"})).rows("transactions")
    assert [r["transaction_id"] for r in by_glob] == [0, 1]
    assert [r["_source_file"] for r in by_folder] == [r["_source_file"] for r in by_glob]


def test_relative_path_and_env_default(drops: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (drops / "transactions.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    monkeypatch.setenv("MELTANO_PROJECT_ROOT", str(drops.parent))
    monkeypatch.delenv("FILE_DROPS_DIR", raising=False)
    config = config_for({**TX, "path": "${FILE_DROPS_DIR:-drops}/transactions*.csv"})
    assert len(run_tap(config).rows("transactions")) == 1


def test_no_key_properties_unless_configured(drops: Path) -> None:
    (drops / "transactions.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    schemas = {m["stream"]: m for m in run_tap(tx_config(drops)).messages if m["type"] == "SCHEMA"}
    assert schemas["transactions"]["key_properties"] == []
    keyed = run_tap(config_for({**TX, "path": str(drops / "*.csv"), "keys": ["transaction_id"]}))
    schemas = {m["stream"]: m for m in keyed.messages if m["type"] == "SCHEMA"}
    assert schemas["transactions"]["key_properties"] == ["transaction_id"]


def test_without_contract_columns_come_from_the_header(drops: Path) -> None:
    (drops / "cars.csv").write_text("car_id,car_make\n101,Peugeot\n")
    run = run_tap(config_for({"entity": "cars", "path": str(drops / "cars.csv")}))
    (row,) = run.rows("cars")
    assert (row["car_id"], row["car_make"]) == ("101", "Peugeot")


def test_metadata_columns_can_be_switched_off(drops: Path) -> None:
    (drops / "transactions.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    (row,) = run_tap(tx_config(drops, add_metadata_columns=False)).rows("transactions")
    assert not any(key.startswith("_sdc_") for key in row)


# --- every reject reason ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "code", "column"),
    [
        ("1,101,201,1,2024-01-01", "wrong_value_count", None),
        ("1,101,201,1,1.00,2024-01-01,extra", "wrong_value_count", None),
        ("1,x101,201,1,1.00,2024-01-01", "invalid_integer", "product_id"),
        ("1,101,201,1.5,1.00,2024-01-01", "invalid_integer", "quantity"),
        ("1,101,201,1,12.3.4,2024-01-01", "invalid_decimal", "price"),
        ("1,101,201,1,NaN,2024-01-01", "invalid_decimal", "price"),
        ("1,101,201,1,1.00,2024-02-30 10:00:00", "invalid_timestamp", "timestamp"),
        ("1,101,201,1,1.00,yesterday", "invalid_timestamp", "timestamp"),
        ("1,101,,1,1.00,2024-01-01", "missing_required", "client_id"),
        ("1,101,201,1,1.00,", "missing_required", "timestamp"),
    ],
)
def test_reject_reasons(drops: Path, line: str, code: str, column: str | None) -> None:
    reject = reject_of(drops, line)
    assert reject["reason"].split(":")[0] == code
    assert reject["column_name"] == column
    assert reject["entity"] == "transactions"
    assert reject["raw_line"] == line
    assert reject["_source_lineno"] == 3
    assert reject["_source_file"].endswith("transactions.csv")
    assert reject["_extracted_at"] and reject["_source_file_mtime"]


def test_a_key_repeated_within_a_file_is_loaded_with_its_line(drops: Path) -> None:
    """A later line with the same key is a later version, not an error: both land, with their
    lines, and staging keeps the last one delivered (docs/transform.md)."""
    rows = ["7,101,201,1,1.00,2024-01-01", "8,101,201,1,1.00,2024-01-01", "7,102,202,2,2.00,2024-01-02"]
    (drops / "transactions.csv").write_text(HEADER + "\n".join(rows) + "\n")
    run = run_tap(tx_config(drops))
    assert [(r["transaction_id"], r["_source_lineno"]) for r in run.rows("transactions")] == [(7, 2), (8, 3), (7, 4)]
    assert run.rows("file_rejects") == []


def test_json_row_rejects(drops: Path) -> None:
    (drops / "clients.json").write_text(
        '[\n {"client_id": 1, "name": "A"},\n "not an object",\n {"client_id": 2},\n'
        ' {"client_id": 3, "name": "C", "vip": true},\n {"client_id": 6, "name": "F", "client_id": 7}\n]\n'
    )
    (drops / "clients.jsonl").write_text(
        '{"client_id": 4, "name": "D"}\n{"client_id": 5, "name": \n{"name": "G", "client_id": 8, "name": "H"}\n'
    )
    run = run_tap(config_for({"entity": "clients", "path": str(drops / "clients.*")}))
    assert [r["client_id"] for r in run.rows("clients")] == [1, 4]
    got = [(r["_source_lineno"], r["reason"].split(":")[0], r["column_name"]) for r in run.rows("file_rejects")]
    assert got == [
        (3, "not_an_object", None),
        (4, "missing_required", "name"),
        (5, "unexpected_field", "vip"),
        (6, "duplicate_field", None),
        (2, "invalid_json", None),
        (3, "duplicate_field", None),
    ]
    assert "['client_id'] given more than once" in run.rows("file_rejects")[3]["reason"]


def test_a_nul_in_a_csv_text_value_is_a_reject(drops: Path) -> None:
    """A clean CSV block whose text column holds a NUL: typed whole it would reach the warehouse,
    whose text cannot store it; it is an invalid_string reject, its raw_line with the NUL escaped."""
    (drops / "clients.csv").write_text("client_id,name,email\n1,A\x00B,a@x.io\n2,C,c@x.io\n")
    run = run_tap(config_for({"entity": "clients", "path": str(drops / "clients.csv")}))
    assert [r["name"] for r in run.rows("clients")] == ["C"]
    (reject,) = run.rows("file_rejects")
    assert reject["reason"].startswith("invalid_string:") and reject["raw_line"] == "1,A\\x00B,a@x.io"


def test_on_reject_fail_stops_at_the_first_bad_row(drops: Path) -> None:
    (drops / "transactions.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n2,101,201,1,abc,2024-01-01\n")
    with pytest.raises(RejectedRowError, match=r"transactions.csv: line 3: invalid_decimal"):
        run_tap(tx_config(drops, on_reject="fail"))


# --- every file-level error ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "transaction_id,product_id,client_id,quantity,timestamp\n1,101,201,1,2024-01-01\n",
            r"transactions.csv: missing required column\(s\) \['price'\]",
        ),
        (
            HEADER.strip() + ",discount\n1,101,201,1,1.00,2024-01-01,0\n",
            r"transactions.csv: unexpected column\(s\) \['discount'\]",
        ),
        ("", r"transactions.csv: empty file, expected a CSV header"),
        (
            HEADER.replace("\n", "\r") + "1,101,201,1,1.00,2024-01-01\r",
            r"transactions.csv: a bare CR in the header line, expected lines that end with LF or CRLF",
        ),
    ],
)
def test_csv_file_errors(drops: Path, content: str, message: str) -> None:
    (drops / "transactions.csv").write_text(content)
    with pytest.raises(FileError, match=message):
        settled_run(tx_config(drops))


def settled_run(config: dict) -> Run:
    """A second run on unchanged files. A file with nothing complete to read yet (empty, or a
    JSON array that does not parse) waits in the first run: no record, no error, a warning."""
    first = run_tap(config)
    return run_tap(config, first.state)


@pytest.mark.parametrize(
    ("setting", "refused"),
    [
        ({"encoding": "utf-16"}, "encoding 'utf-16': expected an ASCII-compatible encoding"),
        ({"encoding": "utf-32-le"}, "encoding 'utf-32-le': expected an ASCII-compatible encoding"),
        ({"encoding": "utf8x"}, "encoding 'utf8x': expected an ASCII-compatible encoding"),
        ({"delimiter": "||"}, "delimiter '||', quotechar '\"': expected two different single characters"),
        ({"delimiter": '"'}, "delimiter '\"', quotechar '\"': expected two different single characters"),
        ({"quotechar": "\n"}, "delimiter ',', quotechar '\\n': expected two different single characters"),
    ],
)
def test_settings_the_readers_cannot_honour_are_refused(drops: Path, setting: dict, refused: str) -> None:
    (drops / "transactions.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    with pytest.raises(FileError, match=f"entity 'transactions': {re.escape(refused)}"):
        run_tap(config_for({**TX, "path": str(drops / "*.csv"), **setting}))


def test_a_utf8_sig_or_semicolon_file_is_read(drops: Path) -> None:
    text = HEADER.replace(",", ";") + "1;101;201;1;1.00;2024-01-01\n"
    (drops / "transactions.csv").write_bytes(text.encode("utf-8-sig"))
    run = run_tap(config_for({**TX, "path": str(drops / "*.csv"), "encoding": "utf-8-sig", "delimiter": ";"}))
    assert [r["transaction_id"] for r in run.rows("transactions")] == [1]


def test_undecodable_file_is_refused_before_any_row(drops: Path) -> None:
    (drops / "transactions.csv").write_bytes(HEADER.encode() + b"1,101,201,1,1.00,2024-01-01\n2,101,201,1,\xff,x\n")
    with pytest.raises(FileError, match=r"transactions.csv: cannot decode as utf-8 near byte \d+ \(line 3"):
        run_tap(tx_config(drops))
    latin = run_tap(config_for({**TX, "path": str(drops / "*.csv"), "encoding": "latin-1"}))
    assert len(latin.rows("transactions")) == 1  # decodes; the bad row is a reject
    assert len(latin.rows("file_rejects")) == 1


@pytest.mark.parametrize(
    "content",
    ['[\n  {"client_id": 1, "name": "A"},\n  {"client_id": 2, "na', '[\n  {"client_id": 1, "name": "A"}\n', "{}"],
)
def test_truncated_or_invalid_json_array(drops: Path, content: str) -> None:
    (drops / "clients.json").write_text(content)
    config = config_for({"entity": "clients", "path": str(drops / "clients.json"), "format": "json"})
    first = run_tap(config)
    assert not first.records
    with pytest.raises(FileError, match=r"clients.json: invalid JSON at line \d+: expected.*not being written"):
        run_tap(config, first.state)


def test_a_trailing_delimiter_is_recognised(drops: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every row ends with a comma (so it carries an empty 7th value), the first value an id:
    not the legacy index shape. A row with a value after that comma is refused saying so."""
    (drops / "transactions.csv").write_text(
        HEADER + "1,101,201,1,1.50,2024-01-01,\n2,101,201,1,2.50,2024-01-01,\n3,101,201,1,3.50,2024-01-01,x\n"
    )
    run = run_tap(tx_config(drops))
    prices = [(r["transaction_id"], r["price"]) for r in run.rows("transactions")]
    assert prices == [(1, Decimal("1.50")), (2, Decimal("2.50"))]
    (reject,) = run.rows("file_rejects")
    assert reject["reason"] == (
        "wrong_value_count: expected 7 values (6 named columns + an empty value after the trailing delimiter), "
        "got 'x' after the last delimiter"
    )
    assert "every data row ends with a trailing delimiter" in caplog.text
    assert next(iter(run.files("transactions").values()))["layout"] == "trailing"


@pytest.mark.parametrize(
    ("kind", "what"),
    [("link out", "a link leading outside the drop folder"), ("fifo", "a FIFO"), ("device", "a device")],
)
def test_only_regular_files_inside_the_drop_folder_are_read(drops: Path, tmp_path: Path, kind: str, what: str) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(HEADER + "s3cr3t,1,1,1,1,2024-01-01\n")
    (drops / "transactions_a.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    (drops / "transactions_b.csv").symlink_to(drops / "transactions_a.csv")  # a link inside: read
    entry = drops / "transactions_x.csv"
    if kind == "link out":
        entry.symlink_to(secret)
    elif kind == "fifo":
        os.mkfifo(entry)
    else:
        try:
            os.mknod(entry, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # /dev/null's numbers
        except PermissionError:
            pytest.skip("creating a device needs root (CI runs as root)")
    with pytest.raises(FileError, match=rf"transactions_x.csv: refused: {what}") as refused:
        run_tap(tx_config(drops))
    assert "s3cr3t" not in str(refused.value)
    entry.unlink()
    assert len(run_tap(tx_config(drops)).rows("transactions")) == 1  # the inside link names the same file


def test_nothing_under_proc_is_read() -> None:
    with pytest.raises(FileError, match=r"environ: refused: /proc, /sys and /dev hold no drops"):
        run_tap(config_for({**TX, "path": "/proc/self/environ"}))


FOLDER_NAMES = st.text(alphabet="ab[]*?!- ", min_size=1, max_size=12).filter(lambda name: name.strip() == name)


@settings(max_examples=30, deadline=None)
@given(name=FOLDER_NAMES, as_folder=st.booleans())
def test_a_drop_folder_named_with_glob_characters_is_read_literally(name: str, as_folder: bool) -> None:
    """FILE_DROPS_DIR names a folder, never a pattern: `drops[x]` or `*` is that folder, whether
    the setting globs files in it or names the folder itself. A sibling the pattern would match
    is not read."""
    with tempfile.TemporaryDirectory() as temp, pytest.MonkeyPatch.context() as env:
        folder = Path(temp) / name
        folder.mkdir()
        (folder / "transactions.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
        sibling = Path(temp) / "bx"  # what `b[x]`, `b?` or `*` would match
        if name != sibling.name:
            sibling.mkdir()
            (sibling / "transactions.csv").write_text(HEADER + "2,101,201,1,1.00,2024-01-01\n")
        env.setenv("FILE_DROPS_DIR", str(folder))
        path = "${FILE_DROPS_DIR:-data/drops}" + ("" if as_folder else "/transactions*.csv")
        run = run_tap(config_for({**TX, "path": path}))
        assert [r["transaction_id"] for r in run.rows("transactions")] == [1]


def test_a_missing_drop_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(FileError, match=rf"drop folder {missing} does not exist or is not readable"):
        run_tap(config_for({**TX, "path": str(missing / "transactions*.csv")}))


def test_a_file_name_that_is_not_utf8_is_read_and_named_escaped(drops: Path) -> None:
    (drops / os.fsdecode(b"transactions_\xe9.csv")).write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    (drops / "transactions_z.csv").write_text(HEADER + "2,101,201,1,1.00,2024-01-01\n")
    run = run_tap(tx_config(drops))
    names = [Path(r["_source_file"]).name for r in run.rows("transactions")]
    assert sorted(names) == ["transactions_\\xe9.csv", "transactions_z.csv"]
    assert str(drops.resolve() / "transactions_\\xe9.csv") in run.files("transactions")


def test_a_file_moved_out_during_the_run_is_skipped(drops: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An operator moves a file out of the drop folder after the run listed it: the run goes on
    with the others and says so; the file, if it comes back, is read by a later run."""
    (drops / "transactions_a.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    (drops / "transactions_b.csv").write_text(HEADER + "2,101,201,1,1.00,2024-01-01\n")
    listed = files.resolve

    def list_then_move(value: str, suffixes: tuple[str, ...] = ()) -> list[Path]:
        found = listed(value, suffixes)
        (drops / "transactions_a.csv").rename(drops.parent / "transactions_a.csv")
        return found

    monkeypatch.setattr(files, "resolve", list_then_move)
    run = run_tap(tx_config(drops))
    assert [r["transaction_id"] for r in run.rows("transactions")] == [2]
    monkeypatch.undo()
    (drops.parent / "transactions_a.csv").rename(drops / "transactions_a.csv")
    again = run_tap(tx_config(drops), run.state)
    assert [r["transaction_id"] for r in again.rows("transactions")] == [1]


def test_a_file_name_with_control_characters_cannot_forge_a_log_line(
    drops: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (drops / "transactions_a\nERROR forged\x1b[31m.csv").write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n")
    caplog.set_level(logging.INFO)
    run = run_tap(tx_config(drops))
    escaped = "transactions_a\\nERROR forged\\x1b[31m.csv"
    assert [Path(r["_source_file"]).name for r in run.rows("transactions")] == [escaped]
    assert str(drops.resolve() / escaped) in run.files("transactions")
    summaries = [r.getMessage() for r in caplog.records if "tap-csv summary" in r.getMessage()]
    assert len(summaries) == 1 and escaped in summaries[0]
    assert not any("\n" in r.getMessage() or "\x1b" in r.getMessage() for r in caplog.records)


def test_messages_quote_a_bounded_escaped_excerpt(drops: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A huge header with control characters, a huge bad value: no message or log line holds them."""
    huge = "\x1b[31m" + "y" * 50_000
    (drops / "transactions_a.csv").write_text(HEADER + f"1,101,201,1,{huge},2024-01-01\n")
    run = run_tap(tx_config(drops))
    (reject,) = run.rows("file_rejects")
    assert len(reject["reason"]) < 400 and "\x1b" not in reject["reason"] and len(reject["raw_line"]) == 10_000
    (drops / "transactions_b.csv").write_text(f"transaction_id,{huge}\n1,2\n")
    with pytest.raises(FileError, match="missing required column") as refused:
        run_tap(tx_config(drops), run.state)
    assert len(str(refused.value)) < 1_000 and "\x1b" not in str(refused.value)
    assert max(len(record.getMessage()) for record in caplog.records) < 1_000


def test_a_file_still_being_written_is_read_to_its_last_complete_record(drops: Path) -> None:
    """Only complete lines; the last line once a run finds the file unchanged (it has no newline)."""
    path = drops / "transactions.csv"
    path.write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n2,101,201,1,24")
    first = run_tap(tx_config(drops))
    assert [r["transaction_id"] for r in first.rows("transactions")] == [1] and not first.rows("file_rejects")
    with path.open("a") as fh:
        fh.write("9.99,2024-01-01\n3,101,201,1,1.00,2024-01-01")
    second = run_tap(tx_config(drops), first.state)
    assert [(r["transaction_id"], r["price"]) for r in second.rows("transactions")] == [(2, Decimal("249.99"))]
    assert second.rows("transactions")[0]["_source_lineno"] == 3
    third = run_tap(tx_config(drops), second.state)  # unchanged: the last line is complete
    assert [r["transaction_id"] for r in third.rows("transactions")] == [3]
    assert run_tap(tx_config(drops), third.state).rows("transactions") == []


def test_unknown_keys_are_an_error(drops: Path) -> None:
    with pytest.raises(FileError, match=r"entity 'transactions': keys \['id'\] are not columns"):
        run_tap(config_for({**TX, "path": str(drops), "keys": ["id"]}))


def test_missing_contract_file_is_an_error(drops: Path) -> None:
    with pytest.raises(FileError, match=r"contract .*nope.yml of entity 'transactions' does not exist"):
        run_tap(config_for({**TX, "path": str(drops), "contract": str(drops / "nope.yml")}))


# --- incremental state ----------------------------------------------------------------------


def test_unchanged_grown_rewritten(drops: Path) -> None:
    path = drops / "transactions.csv"
    path.write_text(HEADER + "".join(f"{i},101,201,1,1.00,2024-01-01\n" for i in range(1, 6)))
    config = tx_config(drops)
    first = run_tap(config)
    assert len(first.rows("transactions")) == 5

    again = run_tap(config, first.state)
    assert again.rows("transactions") == []

    os.utime(path)  # touched, same bytes: still nothing to read
    touched = run_tap(config, again.state)
    assert touched.rows("transactions") == []

    with path.open("a") as fh:
        fh.write("".join(f"{i},101,201,1,1.00,2024-01-01\n" for i in range(6, 16)))
    grown = run_tap(config, touched.state)
    assert [r["transaction_id"] for r in grown.rows("transactions")] == list(range(6, 16))
    assert [r["_source_lineno"] for r in grown.rows("transactions")] == list(range(7, 17))
    mark = grown.files("transactions")[str(path.resolve())]
    assert (mark["rows"], mark["lines"], mark["offset"]) == (15, 16, path.stat().st_size)

    path.write_text(
        HEADER + "99,101,201,1,1.00,2024-01-01\n" + "".join(f"{i},101,201,1,1.00,2024-01-01\n" for i in range(2, 20))
    )
    rewritten = run_tap(config, grown.state)
    assert len(rewritten.rows("transactions")) == 19  # read again in full


def test_legacy_file_that_grows_stays_aligned(drops: Path) -> None:
    path = drops / "transactions.csv"
    path.write_text(HEADER + "0,1,101,201,1,1.00,2024-01-01\n")
    first = run_tap(tx_config(drops))
    with path.open("a") as fh:
        fh.write("1,2,102,202,2,2.50,2024-01-02\n")
    (row,) = run_tap(tx_config(drops), first.state).rows("transactions")
    assert (row["transaction_id"], row["product_id"], row["quantity"], row["price"]) == (2, 102, 2, Decimal("2.50"))


def test_changed_json_array_is_read_in_full(drops: Path) -> None:
    path = drops / "clients.json"
    path.write_text('[{"client_id": 1, "name": "A"}]')
    config = config_for({"entity": "clients", "path": str(path)})
    first = run_tap(config)
    path.write_text('[{"client_id": 1, "name": "A"}, {"client_id": 2, "name": "B"}]')
    assert [r["client_id"] for r in run_tap(config, first.state).rows("clients")] == [1, 2]


def test_jsonl_resumes_from_the_offset(drops: Path) -> None:
    path = drops / "clients.jsonl"
    path.write_text('{"client_id": 1, "name": "A"}\n')
    config = config_for({"entity": "clients", "path": str(path)})
    first = run_tap(config)
    with path.open("a") as fh:
        fh.write('{"client_id": 2, "name": "B"}\n')
    assert [(r["client_id"], r["_source_lineno"]) for r in run_tap(config, first.state).rows("clients")] == [(2, 2)]


def test_one_extraction_time_per_file(drops: Path) -> None:
    for name in ("transactions_a.csv", "transactions_b.csv"):
        (drops / name).write_text(HEADER + "1,101,201,1,1.00,2024-01-01\n2,101,201,1,1.00,2024-01-01\n")
    run = run_tap(tx_config(drops))
    stamps = {}
    for row in run.rows("transactions"):
        stamps.setdefault(row["_source_file"], set()).add(row["_extracted_at"])
    assert all(len(s) == 1 for s in stamps.values()) and len(stamps) == 2
    records = [m for m in run.messages if m["type"] == "RECORD" and m["stream"] == "transactions"]
    # target-postgres writes _sdc_extracted_at from time_extracted: the same instant as _extracted_at
    # (the msgspec writer spells UTC `Z`, the record's own stamp `+00:00`)
    assert records and all(
        datetime.fromisoformat(m["time_extracted"]) == datetime.fromisoformat(m["record"]["_extracted_at"])
        for m in records
    )


# --- BATCH ------------------------------------------------------------------------------------


def read_batch_file(url: str) -> list[dict]:
    """The records of one BATCH file, as a Singer target reads them (singer-sdk's readers)."""
    return pq.read_table(url.removeprefix("file://")).to_pylist()


def test_batch_files_hold_the_same_rows_as_records(drops: Path, tmp_path: Path) -> None:
    # a bad row on line 17 (quantity 0): the block is typed one row at a time, and its reject
    # travels as a record
    lines = [f"{i},{100 + i},201,1,{i}.10,2024-01-01 10:00:{i:02d}\n" for i in range(1, 26)]
    bad = "5,1,1,0,1,2024-01-01\n"
    (drops / "transactions.csv").write_text(HEADER + "".join(lines[:15]) + bad + "".join(lines[15:]))
    config = tx_config(drops)
    records = run_tap(config)
    batch_config = {
        "encoding": {"format": "parquet"},
        "storage": {"root": f"file://{tmp_path / 'batches'}", "prefix": "t-"},
        "batch_size": 10,
    }
    batched = run_tap(tx_config(drops, batch_config=batch_config), None)
    manifests = [m for m in batched.messages if m["type"] == "BATCH" and m["stream"] == "transactions"]
    assert len(manifests) == 3  # 25 rows in batches of 10
    assert {m["encoding"]["format"] for m in manifests} == {"parquet"}
    rows = [row for message in manifests for url in message["manifest"] for row in read_batch_file(url)]

    def strip(row: dict) -> dict:
        return {k: v for k, v in row.items() if k != "_extracted_at"}

    assert [strip(r) for r in rows] == [strip(r) for r in records.rows("transactions")]
    assert len({r["_extracted_at"] for r in rows}) == 1
    # the rejects still travel as records, with their metadata
    assert len(batched.rows("file_rejects")) == 1
    assert batched.files("transactions") == {
        k: {**v, "last_extracted_at": batched.files("transactions")[k]["last_extracted_at"]}
        for k, v in records.files("transactions").items()
    }
