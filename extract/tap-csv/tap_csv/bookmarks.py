"""Per-file bookmarks (`bookmarks.<entity>.files.<path>` in Singer state): what was read of each
file, and what to do with it now.

A bookmark holds the file's size and mtime when the run began, the bytes (`offset`, always at a
record boundary) and physical `lines` consumed, the `sha256` of those bytes, row and reject totals
over runs and the CSV `layout`. A file found now is read in full when new, waiting (nothing read
yet), shorter, or changed within the part read (the fingerprint covers that whole part, so an
edit anywhere in it is seen, at the cost of one read of it, only when size or mtime changed);
skipped when unchanged; resumed at `offset` when it only grew. JSON arrays are never resumed (a
grown array is no prefix extension: its closing bracket moved). A file with the same size and
mtime as the previous run saw is settled (nobody wrote to it between the runs): its last line is
read even without a newline, and a JSON array or CSV header that still does not parse is
refused. Should it grow after all, its old part no longer ends with a newline: read in full.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tap_csv.files import CHUNK


@dataclass
class Bookmark:
    size: int
    mtime_ns: int
    offset: int
    lines: int
    sha256: str
    rows: int = 0
    rejected: int = 0
    layout: str | None = None  # "legacy" | "clean" for CSV
    format: str | None = None
    last_extracted_at: str | None = None

    @classmethod
    def from_state(cls, raw: Any) -> Bookmark | None:
        if not isinstance(raw, dict):
            return None
        try:
            return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})
        except TypeError:
            return None  # an older or foreign shape: read the file again in full

    def to_state(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Plan:
    action: str  # "skip" | "resume" | "full"
    why: str
    hasher: Any = None  # for "resume": sha256 state over [0, offset), to continue
    settled: bool = False  # the same size and mtime as when the previous run read it


def prefix_hasher(path: Path, length: int) -> Any:
    hasher = hashlib.sha256()
    with path.open("rb") as fh:
        while length > 0 and (chunk := fh.read(min(CHUNK, length))):
            hasher.update(chunk)
            length -= len(chunk)
    return hasher


def plan_read(path: Path, size: int, mtime_ns: int, mark: Bookmark | None, *, appendable: bool) -> Plan:
    if mark is None:
        return Plan("full", "new file")
    settled = mark.size == size and mark.mtime_ns == mtime_ns
    if mark.offset == 0:  # seen before, nothing read yet
        return Plan("full", "unchanged since the previous run" if settled else "changed", settled=settled)
    if settled and mark.offset == size:
        return Plan("skip", "unchanged (same size and mtime)")
    if size < mark.offset:
        return Plan("full", f"rewritten (shrank from {mark.offset} to {size} bytes)")
    hasher = prefix_hasher(path, mark.offset)
    if hasher.hexdigest() != mark.sha256:
        return Plan("full", "rewritten (the content already read changed)")
    if size == mark.offset:
        return Plan("skip", "unchanged content (mtime changed only)", hasher)
    if not appendable:
        return Plan("full", "changed (JSON arrays are re-read in full)")
    with path.open("rb") as fh:
        fh.seek(mark.offset - 1)
        ends_line = fh.read(1) == b"\n"
    if not ends_line:
        return Plan("full", "grew after its last line was read without a newline")
    why = "unchanged since the previous run left its end" if settled else f"grew from {mark.offset} to {size} bytes"
    return Plan("resume", why, hasher, settled)
