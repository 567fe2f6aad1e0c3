"""The original method: pandas `read_csv` + `to_sql`, as the original loader did.

    bench/.venv/bin/python bench/peers/pandas_load.py CSV SCHEMA   (BENCH_PG_URL: SQLAlchemy URL)

pandas detects the legacy file's unnamed leading index by itself (one more field than
the header names) and makes it the frame's index, which `index=False` then drops.
"""

from __future__ import annotations

import os
import sys

import pandas as pd
from sqlalchemy import create_engine


def main() -> int:
    path, schema = sys.argv[1], sys.argv[2]
    engine = create_engine(os.environ["BENCH_PG_URL"])
    frame = pd.read_csv(path, parse_dates=["timestamp"])
    frame.to_sql("transactions", engine, schema=schema, if_exists="replace", index=False)
    print(f"rows={len(frame)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
