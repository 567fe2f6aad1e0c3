"""A slow writer of file drops, for the tests: appends each file to the drop folder in chunks, as
an export tool or a copy over a slow link does, with pauses and (or not) fsync after a chunk.

    python -m tests.reliability.drop_writer '{"files": [...], "folder": "...", "chunks": [...],
                                              "fsync": [...], "pause": 0.2}'

Chunk sizes and fsync flags are used in turn, cycling; chunks cut lines, values and UTF-8
characters anywhere.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def steps(sizes: list[int], chunks: list[int]) -> int:
    """How many chunks the writer writes for files of these sizes."""
    step = 0
    for size in sizes:
        written = 0
        while written < size:
            written += chunks[step % len(chunks)]
            step += 1
    return step


def write(files: list[str], folder: str, chunks: list[int], fsync: list[bool], pause: float) -> None:
    step = 0
    for source in files:
        data = Path(source).read_bytes()
        with (Path(folder) / Path(source).name).open("ab") as out:
            written = 0
            while written < len(data):
                size = chunks[step % len(chunks)]
                out.write(data[written : written + size])
                out.flush()
                if fsync[step % len(fsync)]:
                    os.fsync(out.fileno())
                written += size
                step += 1
                time.sleep(pause)


if __name__ == "__main__":
    write(**json.loads(sys.argv[1]))
