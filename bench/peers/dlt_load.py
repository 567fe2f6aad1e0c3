"""dlt with its default settings, loading the CSV the way its docs show (filesystem + read_csv).

bench/.venv/bin/python bench/peers/dlt_load.py DIR FILE DATASET   (BENCH_PG_URL: postgres URL)
"""

from __future__ import annotations

import os
import sys

import dlt
from dlt.sources.filesystem import filesystem, read_csv


def main() -> int:
    folder, name, dataset = sys.argv[1], sys.argv[2], sys.argv[3]
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{dataset}",
        destination=dlt.destinations.postgres(credentials=os.environ["BENCH_PG_URL"]),
        dataset_name=dataset,
        pipelines_dir=os.environ.get("BENCH_DLT_DIR"),
    )
    source = filesystem(bucket_url=f"file://{folder}", file_glob=name) | read_csv()
    info = pipeline.run(source.with_name("transactions"))
    rows = pipeline.last_trace.last_normalize_info.row_counts.get("transactions", 0)
    print(f"rows={rows}")
    print(info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
