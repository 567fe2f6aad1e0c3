"""EL variants (the fast path), each on a fresh warehouse database and Meltano state, same file.

Only environment overrides of settings the plugins declare: nothing in the project changes.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import project
from infinit.stack import Stack

TARGET_DEFAULTS = {  # meltanolabs-target-postgres's own defaults (what the project's load/ overrides)
    "TARGET_POSTGRES_USE_COPY": "false",
    "TARGET_POSTGRES_VALIDATE_RECORDS": "true",
    "TARGET_POSTGRES_BATCH_SIZE_ROWS": "10000",
}


def variants(work: Path) -> dict[str, tuple[list[str], dict[str, str], bool]]:
    """name -> (meltano args, env overrides, stdout discarded)."""
    records = ["run", "tap-csv--records", "target-postgres"]
    return {
        "BATCH parquet, 20k-row files (project settings)": (["run", "tap-csv", "target-postgres"], {}, False),
        "BATCH parquet, 20k-row files, stock target-postgres sink": (
            ["run", "tap-csv", "target-postgres--stock"],
            {},
            False,
        ),
        "records (tap-csv--records)": (records, {}, False),
        "records, target-postgres defaults": (records, TARGET_DEFAULTS, False),
        "records, batch_size_rows 20000": (records, {"TARGET_POSTGRES_BATCH_SIZE_ROWS": "20000"}, False),
        "tap-csv alone (BATCH files)": (["invoke", "tap-csv"], {}, True),
        "tap-csv--records alone (records to /dev/null)": (["invoke", "tap-csv--records"], {}, True),
    }


def run(stack: Stack, wanted: str, csv: Path, log: Path, say: Callable[[str], None]) -> dict[str, Any]:
    work = stack.home / "variants"
    table = variants(work)
    names = list(table) if wanted == "all" else [n for n in table if any(w in n for w in wanted.split(","))]
    out: dict[str, Any] = {}
    for index, name in enumerate(names):
        args, env, discard = table[name]
        say(f"variant: {name}")
        child = stack.fresh(f"variant_{index}")
        shutil.copy(csv, child.drops / "transactions.csv")
        shutil.copy(csv.parent / "clients.json", child.drops / "clients.json")
        try:
            out[name] = project.step(child, *args, log=log, env=env, discard_stdout=discard)
        except RuntimeError as exc:
            out[name] = {"error": str(exc)[-2000:]}
        shutil.rmtree(work / "batches", ignore_errors=True)
        with stack.warehouse() as conn:
            conn.execute(f'drop database if exists "wh_variant_{index}" with (force)')
    return out
