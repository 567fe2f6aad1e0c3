"""The demo-data generator: deterministic, in the dealer's exact legacy shapes."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from infinit import demo_data
from infinit.stack import Stack


def generate(out: Path, *extra: str) -> None:
    assert demo_data.main(["--out", str(out), "--no-db", *extra]) == 0


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    generate(tmp_path / "a", "--transactions", "500")
    generate(tmp_path / "b", "--transactions", "500")
    generate(tmp_path / "c", "--transactions", "500", "--seed", "7")
    for name in ("transactions.csv", "clients.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "transactions.csv").read_bytes() != (tmp_path / "c" / "transactions.csv").read_bytes()


def test_legacy_csv_has_the_unnamed_leading_index(tmp_path: Path) -> None:
    generate(tmp_path, "--transactions", "300")
    with (tmp_path / "transactions.csv").open(newline="") as handle:
        rows = list(csv.reader(handle))
    header, data = rows[0], rows[1:]
    assert header == ["transaction_id", "product_id", "client_id", "quantity", "price", "timestamp"]
    assert len(data) == 300
    assert all(len(row) == 7 for row in data)  # one more value than the header names
    assert [row[0] for row in data] == [str(i) for i in range(300)]  # the row index 0, 1, 2...
    assert [row[1] for row in data] == [str(i + 1) for i in range(300)]  # then transaction_id
    for row in data:
        assert 101 <= int(row[2]) <= 110  # product_id is a cars.car_id
        assert 201 <= int(row[3]) <= 220  # client_id
        assert row[4] in ("1", "2")
        assert not row[5].endswith("0") or "." not in row[5]  # 24916.70 is written 24916.7
        assert len(row[6]) == 19 and row[6][10] == " "  # naive 'YYYY-MM-DD HH:MM:SS'


def test_clean_shape_and_scale_options(tmp_path: Path) -> None:
    generate(tmp_path, "--transactions", "50", "--clients", "45", "--shape", "clean")
    lines = (tmp_path / "transactions.csv").read_text().splitlines()
    assert len(lines) == 51 and all(line.count(",") == 5 for line in lines)
    clients = json.loads((tmp_path / "clients.json").read_text())
    assert [c["client_id"] for c in clients] == list(range(201, 246))
    assert len({c["email"] for c in clients}) == 45
    assert (tmp_path / "clients.json").read_text().startswith("[\n    {")  # pretty-printed


def test_transactions_cover_every_whole_month(tmp_path: Path) -> None:
    generate(tmp_path, "--transactions", "4000")
    with (tmp_path / "transactions.csv").open(newline="") as handle:
        stamps = [row[6] for row in list(csv.reader(handle))[1:]]
    assert stamps == sorted(stamps)
    # naive UTC in the file; whole months in the reporting timezone (Europe/Paris)
    paris = [
        datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
        for s in stamps
    ]
    months = sorted({p.strftime("%Y-%m") for p in paris})
    assert months[0] == "2023-01" and months[-1] == "2024-07" and len(months) == 19
    assert paris[0].day <= 2 and paris[-1].day >= 30


def test_the_catalog_loads_from_a_delivered_sql_script(fresh_stack: Stack, tmp_path: Path) -> None:
    script = tmp_path / "cars.sql"
    script.write_text(
        "CREATE TABLE cars (\n    car_id INT PRIMARY KEY,\n    car_make VARCHAR(100),\n"
        "    car_model VARCHAR(100),\n    price DECIMAL(10, 2)\n);\n"
        "INSERT INTO cars (car_id, car_make, car_model, price) VALUES\n"
        "(101, 'Peugeot', '208', 16199.99),\n(111, 'Renault', 'Clio', 15990.00);\n"
    )
    fresh_stack.python(
        "-m", "infinit.demo_data", "--out", str(fresh_stack.drops), "--transactions", "10", "--cars-sql", str(script)
    )
    with psycopg.connect(fresh_stack.conninfo_as("OPS_READER")) as conn:
        rows = conn.execute("select car_id, car_make, car_model, price::text from cars order by 1").fetchall()
    assert rows == [(101, "Peugeot", "208", "16199.99"), (111, "Renault", "Clio", "15990.00")]
    # and the default catalog is the 10 cars of the design notes, as a delivered script
    assert demo_data.cars_sql().startswith("CREATE TABLE cars (")
    assert demo_data.cars_sql().count("\n(1") == 10


def test_a_rerun_leaves_identical_files_untouched(tmp_path: Path) -> None:
    generate(tmp_path, "--transactions", "100")
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    generate(tmp_path, "--transactions", "100")
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()} == before
    generate(tmp_path, "--transactions", "101")
    assert (tmp_path / "transactions.csv").stat().st_mtime_ns != before["transactions.csv"]
    assert sorted(before) == ["clients.json", "transactions.csv"]  # no draft left behind
