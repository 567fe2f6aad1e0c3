"""Deterministic demo data in the exact shapes the dealer delivers today.

    python -m infinit.demo_data [--transactions N] [--clients N] [--seed S] [--shape legacy|clean]
                                [--start 2023-01] [--end 2024-07] [--out DIR] [--cars-sql PATH]
                                [--no-db]

Writes, in FILE_DROPS_DIR (or --out):
  - clients.json: a pretty-printed JSON array of {client_id, name, email};
  - transactions.csv: the legacy export, whose data rows carry an unnamed leading row index
    the header does not name (`--shape clean` writes the plain 6-column CSV instead);
and loads the operational `cars` table from a SQL script in the delivered form
(`CREATE TABLE cars ...; INSERT INTO cars ... VALUES ...;`): the built-in 10-car catalog,
or the script given by --cars-sql.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import filecmp
import json
import os
import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from infinit import settings


@dataclass(frozen=True)
class Car:
    car_id: int
    make: str
    model: str
    price: Decimal


CATALOG: tuple[Car, ...] = tuple(
    Car(car_id, make, model, Decimal(price))
    for car_id, make, model, price in [
        (101, "Peugeot", "208", "16199.99"),
        (102, "Peugeot", "207", "13652.99"),
        (103, "Toyota", "Corolla", "18999.99"),
        (104, "Ford", "Focus", "19999.99"),
        (105, "Honda", "Civic", "20500.00"),
        (106, "Nissan", "Altima", "23000.90"),
        (107, "Nissan", "Qashqai", "25000.50"),
        (108, "Chevrolet", "Malibu", "21000.75"),
        (109, "Volkswagen", "Passat", "24899.95"),
        (110, "Volkswagen", "Polo", "17500.00"),
    ]
)

FIRST_NAMES = (
    "Alice",
    "Bob",
    "Charlie",
    "Diane",
    "Emile",
    "Fatou",
    "Gaspard",
    "Hélène",
    "Ines",
    "Jules",
    "Karim",
    "Léa",
    "Manon",
    "Noah",
    "Océane",
    "Paul",
    "Quentin",
    "Rose",
    "Sami",
    "Théo",
)
EMAIL_DOMAINS = ("example.com", "mail.fr", "dealer-partners.eu", "orange.fr")
REPORTING_TZ = "Europe/Paris"  # the dbt var `reporting_timezone` defaults to the same
TRANSACTION_HEADER = ["transaction_id", "product_id", "client_id", "quantity", "price", "timestamp"]


def cars_sql(cars: tuple[Car, ...] = CATALOG) -> str:
    """The catalog as the SQL script the operational team delivers."""
    values = ",\n".join(f"({c.car_id}, '{c.make}', '{c.model}', {c.price})" for c in cars)
    return (
        "CREATE TABLE cars (\n"
        "    car_id INT PRIMARY KEY,\n"
        "    car_make VARCHAR(100),\n"
        "    car_model VARCHAR(100),\n"
        "    price DECIMAL(10, 2)\n"
        ");\n"
        f"INSERT INTO cars (car_id, car_make, car_model, price) VALUES\n{values};\n"
    )


def clients(count: int, rng: random.Random) -> list[dict[str, object]]:
    rows = []
    for index in range(count):
        name = FIRST_NAMES[index % len(FIRST_NAMES)]
        if index >= len(FIRST_NAMES):
            name = f"{name} {index // len(FIRST_NAMES) + 1}"
        local = name.lower().replace(" ", ".").replace("é", "e").replace("è", "e").replace("ï", "i")
        rows.append({"client_id": 201 + index, "name": name, "email": f"{local}@{rng.choice(EMAIL_DOMAINS)}"})
    return rows


def month_bounds(start: str, end: str, tz: str = REPORTING_TZ) -> tuple[datetime, datetime]:
    """First instant of `start` and first instant after `end` (both YYYY-MM) as UTC instants.

    Months are those of the business's reporting timezone, so the demo has no stub month
    (a sale at 23:30 UTC on July 31st is an August sale in Paris)."""
    zone = ZoneInfo(tz)
    first = datetime.strptime(start, "%Y-%m").replace(tzinfo=zone)
    last = datetime.strptime(end, "%Y-%m")
    after_last = (last + timedelta(days=calendar.monthrange(last.year, last.month)[1])).replace(tzinfo=zone)
    return first.astimezone(UTC), after_last.astimezone(UTC)


def price_text(value: Decimal) -> str:
    """Prices as the export writes them: no trailing zeros (24916.70 -> 24916.7)."""
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def transactions(count: int, client_ids: list[int], start: str, end: str, rng: random.Random) -> Iterator[list[str]]:
    """Sales spread over whole months, in time order as the export writes them.

    Streams (one stratified random instant per slot of the period), so 10M rows
    never sit in memory.
    """
    first, after_last = month_bounds(start, end)
    span = (after_last - first).total_seconds()
    for index in range(count):
        stamp = first + timedelta(seconds=int(span * (index + rng.random()) / count))
        car = rng.choice(CATALOG)
        # What was paid: the list price give or take a negotiated discount (-12 % .. +3 %).
        paid = (car.price * Decimal(rng.uniform(0.88, 1.03))).quantize(Decimal("0.01"), ROUND_HALF_UP)
        yield [
            str(index + 1),
            str(car.car_id),
            str(rng.choice(client_ids)),
            str(rng.choice((1, 1, 1, 2))),
            price_text(paid),
            stamp.strftime("%Y-%m-%d %H:%M:%S"),
        ]


def replace_if_changed(path: Path, draft: Path) -> None:
    """Keep an identical file untouched (same mtime), so a re-run of the demo is a no-op
    for tap-csv's incremental state; otherwise swap the new content in atomically."""
    if path.exists() and filecmp.cmp(path, draft, shallow=False):
        draft.unlink()
    else:
        os.replace(draft, path)


def write_transactions(path: Path, rows: Iterable[list[str]], shape: str) -> None:
    draft = path.with_name(f".{path.name}.partial")
    with draft.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(TRANSACTION_HEADER)
        for index, row in enumerate(rows):
            writer.writerow([str(index), *row] if shape == "legacy" else row)
    replace_if_changed(path, draft)


def write_clients(path: Path, rows: list[dict[str, object]]) -> None:
    draft = path.with_name(f".{path.name}.partial")
    draft.write_text(json.dumps(rows, indent=4, ensure_ascii=False) + "\n", encoding="utf-8")
    replace_if_changed(path, draft)


def load_cars(db: settings.Database, script: str, reader_user: str) -> None:
    """Replace the operational catalog with the delivered script, and let tap-postgres read it."""
    with psycopg.connect(db.conninfo()) as conn:
        conn.execute("drop table if exists cars")
        conn.execute(script)  # type: ignore[arg-type]  # a trusted, delivered script
        conn.execute(sql.SQL("grant select on table cars to {}").format(sql.Identifier(reader_user)))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--transactions", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", default="2023-01", help="first month (YYYY-MM)")
    parser.add_argument("--end", default="2024-07", help="last month (YYYY-MM), included")
    parser.add_argument("--shape", choices=("legacy", "clean"), default="legacy")
    parser.add_argument("--out", type=Path, help="folder of the file drops (default FILE_DROPS_DIR)")
    parser.add_argument("--cars-sql", type=Path, help="load the operational cars table from this script")
    parser.add_argument("--no-db", action="store_true", help="write the files only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    env = settings.load_env()
    out = args.out or settings.project_path(env["FILE_DROPS_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)

    client_rows = clients(args.clients, rng)
    write_clients(out / "clients.json", client_rows)
    ids = [int(str(c["client_id"])) for c in client_rows]
    write_transactions(
        out / "transactions.csv", transactions(args.transactions, ids, args.start, args.end, rng), args.shape
    )
    print(f"wrote {args.clients} clients and {args.transactions} transactions ({args.shape}) to {out}")

    if not args.no_db:
        script = args.cars_sql.read_text(encoding="utf-8") if args.cars_sql else cars_sql()
        ops = settings.operations(env)
        load_cars(ops, script, env["OPS_READER_USER"])
        print(f"loaded cars into {ops.name} on {ops.host}:{ops.port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
