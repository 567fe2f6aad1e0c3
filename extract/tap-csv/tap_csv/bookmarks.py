"""Per-file bookmarks: what was read of each file, and what to do with it now.

Bookmark of a file (Singer state, `bookmarks.<entity>.files.<absolute path>`):
size and mtime when read, `offset` (bytes consumed, always at a record boundary),
`lines` (physical lines consumed), `sha256` of the consumed prefix bytes [0, offset),
`rows`/`rejected` (totals over runs) and the CSV `layout`.

Decision for a file found now:
- no bookmark, or nothing read of it yet (waiting)  -> read in full;
- same size and mtime, fully consumed           -> unchanged, not opened;
- size >= offset and sha256 of [0, offset) equal -> the old content is a prefix:
  read only the bytes after `offset` (a touched but identical file reads 0 bytes);
- otherwise (shorter, or prefix differs)        -> rewritten: read again in full.
The fingerprint covers the whole consumed prefix (not just the first KBs), so an edit
anywhere in the old part is seen; it costs one sequential read of the old part, and
only when size or mtime changed. JSON arrays are never resumed (a grown array is not a
prefix extension: its closing bracket moved), so any change re-reads them in full.

`size` and `mtime_ns` are the file's when the run began. A file found with the same ones
is settled (nobody wrote to it between the two runs): its last line is read even without a
newline, and a JSON array or a CSV header that still does not parse is refused. Should such
a file grow after all, its old part no longer ends with a newline: it is read again in full.
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
    remaining = length
    with path.open("rb") as fh:
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                break
            hasher.update(chunk)
            remaining -= len(chunk)
    return hasher


def _ends_line(path: Path, offset: int) -> bool:
    with path.open("rb") as fh:
        fh.seek(offset - 1)
        return fh.read(1) == b"\n"


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
    if not _ends_line(path, mark.offset):
        return Plan("full", "grew after its last line was read without a newline")
    why = "unchanged since the previous run left its end" if settled else f"grew from {mark.offset} to {size} bytes"
    return Plan("resume", why, hasher, settled)
