"""Bench data: the demo generator's files, a clean copy for COPY, and +1% deltas.

The deltas continue the legacy export exactly as the dealer's tool would: appended to
transactions.csv with the row index and transaction ids going on, sales dated after the
last one. tap-csv then reads only the appended bytes (per-file offset bookmark).
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

from infinit.demo_data import transactions

DELTA_MONTHS = ("2024-08", "2024-09", "2024-10", "2024-11", "2024-12")


def clean_copy(legacy: Path, clean: Path) -> int:
    """The clean 6-column CSV of a legacy file (drop the unnamed leading index). Returns data rows."""
    with clean.open("wb") as dst:
        # The header already names the 6 real columns; only data rows lose their first field.
        subprocess.run(["head", "-n1", str(legacy)], stdout=dst, check=True)
        dst.flush()
        tail = subprocess.Popen(["tail", "-n", "+2", str(legacy)], stdout=subprocess.PIPE)
        subprocess.run(["cut", "-d,", "-f2-"], stdin=tail.stdout, stdout=dst, check=True)
        tail.wait()
    return count_rows(clean)


def count_rows(path: Path) -> int:
    """Data rows of a CSV without quoted newlines (ours): lines minus the header."""
    out = subprocess.run(["wc", "-l", str(path)], capture_output=True, text=True, check=True).stdout
    return int(out.split()[0]) - 1


def append_delta(legacy: Path, rows: int, step: int, clients: int = 20, seed: int = 4242) -> tuple[int, int]:
    """Append `rows` new sales, by the generator's `clients` (ids from 201), to the legacy file.
    Returns (first, last) new transaction_id."""
    existing = count_rows(legacy)
    rng = random.Random(seed + step)
    month = DELTA_MONTHS[(step - 1) % len(DELTA_MONTHS)]
    client_ids = list(range(201, 201 + clients))
    with legacy.open("a", encoding="utf-8", newline="") as out:
        for offset, row in enumerate(transactions(rows, client_ids, month, month, rng)):
            index = existing + offset
            row[0] = str(index + 1)
            out.write(",".join([str(index), *row]) + "\n")
    return existing + 1, existing + rows
