"""Drop files: find them (a file, folder or glob), refuse what is no drop, name them safely, and
read their complete records (up to the last newline, unless the file is `final`: settled) a line
at a time from where the last run stopped.
"""

from __future__ import annotations

import codecs
import glob
import hashlib
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::-([^}]*))?\}|(\w+))")  # ${NAME:-default}, ${NAME}, $NAME
_ESCAPED = re.compile(r"\[[*?[]\]")  # a wildcard character glob.escape made literal
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")  # what a terminal or log viewer acts on
# Pseudo file systems: never drop folders, whatever a link or FILE_DROPS_DIR says.
_SYSTEM = (Path("/proc"), Path("/sys"), Path("/dev"))


CHUNK = 1 << 20  # bytes read at a time when hashing or decoding a whole part


class FileError(Exception):
    """A file-level fault: the whole file is refused (bad header, encoding, truncated JSON, not a
    regular file inside the drop folder) or the drop folder itself is missing."""


class NotComplete(Exception):
    """No complete record yet (empty, or a header without its newline)."""


@dataclass(frozen=True)
class FileSpec:
    """One entry of the `files` setting (MeltanoLabs tap-csv shape, plus format/contract)."""

    entity: str
    path: str
    keys: tuple[str, ...] = ()
    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    format: str = "auto"
    contract: str | None = None

    def __post_init__(self) -> None:
        """Settings the readers cannot honour are refused, naming the entity."""
        try:  # lines are split on the byte \n, then decoded one by one
            fits = b'\n,"'.decode(self.encoding) == '\n,"'
        except (LookupError, UnicodeDecodeError):
            fits = False
        if not fits:
            raise FileError(
                f"entity {self.entity!r}: encoding {self.encoding!r}: expected an ASCII-compatible encoding "
                "(utf-8, latin-1, cp1252...); convert UTF-16 or UTF-32 files to UTF-8 first"
            )
        marks = (self.delimiter, self.quotechar)
        if any(len(mark) != 1 or mark in "\r\n" for mark in marks) or self.delimiter == self.quotechar:
            raise FileError(
                f"entity {self.entity!r}: delimiter {self.delimiter!r}, quotechar {self.quotechar!r}: expected "
                "two different single characters, neither a line break"
            )

    @classmethod
    def from_config(cls, raw: dict[str, Any]) -> FileSpec:
        given = {name: raw[name] for name in cls.__dataclass_fields__ if raw.get(name)}  # empty: the default
        return cls(**{**given, "keys": tuple(raw.get("keys") or ())})


@dataclass
class RawRecord:
    """A record as read: first line, source text, values by column name or an error (`code: detail`)."""

    lineno: int
    raw: str
    values: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class RowBlock:
    """Consecutive CSV lines, one record each with the expected number of values: line
    `first_line + i` is `lines[i]`, and `columns` holds their values by column name."""

    first_line: int
    lines: list[str]
    columns: dict[str, list[str]]


def absolute(value: str, quote: Callable[[str], str] = str) -> Path:
    """A `path` setting as a path: env vars expanded, also `${NAME:-default}` (an unknown one is
    left as it is, as Meltano does), relative to the Meltano project (or the working directory).
    `quote` is applied to what comes from outside the setting (variables, the project folder)."""

    def expand(found: re.Match[str]) -> str:
        name, default, bare = found.groups()
        text = os.environ.get(name or bare)
        text = (text or default) if default is not None else text
        return found.group() if text is None else quote(text)

    path = Path(os.path.expanduser(_VARIABLE.sub(expand, value)))
    return path if path.is_absolute() else Path(quote(os.environ.get("MELTANO_PROJECT_ROOT") or os.getcwd())) / path


def shown(path: Path | str) -> str:
    """A path as text that any log, message or column takes, on one line: bytes that are not
    UTF-8 and control characters escaped (a name with a newline cannot forge a log line)."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode(), text)


def _checked(path: Path, root: Path) -> Path | None:
    """The real path of a drop entry; None for a folder or an entry gone since it was listed.

    Only regular files inside the drop folder are read: a link leading out of it, a FIFO, a
    device or anything under /proc raises FileError, naming the entry, never reading it.
    """
    real = path.resolve()
    if not real.is_relative_to(root):
        raise FileError(
            f"{shown(path)}: refused: a link leading outside the drop folder {shown(root)}; only regular "
            "files inside it are read: put the file itself there instead, or remove the link"
        )
    if any(real.is_relative_to(system) for system in _SYSTEM):
        raise FileError(f"{shown(path)}: refused: /proc, /sys and /dev hold no drops: point the path elsewhere")
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(mode):
        return None
    if not stat.S_ISREG(mode):
        kind = "FIFO" if stat.S_ISFIFO(mode) else "device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "socket"
        raise FileError(f"{shown(path)}: refused: a {kind}, not a regular file: remove it from the drop folder")
    return real


def resolve(value: str, suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Files matched by `value`, sorted by name (daily drops sort by date).

    A folder means every file in it (optionally filtered by suffix); hidden files, partial
    downloads (`*.tmp`, `*.part`) and sub-folders are ignored. A missing or unreadable drop
    folder, and an entry that is not a regular file inside it, raise FileError.
    """
    # A folder's name is never a pattern: `*?[` in a variable's value (FILE_DROPS_DIR) are escaped.
    path, pattern = absolute(value), absolute(value, glob.escape)
    wildcards = [glob.has_magic(_ESCAPED.sub("", part)) for part in pattern.parts]
    folder = path if path.is_dir() else path.parent
    # the drop folder: the nearest parent without a wildcard, else the folder named or the file's
    root = (Path(*path.parts[: wildcards.index(True)]) if True in wildcards else folder).resolve()
    if not root.is_dir() or not os.access(root, os.R_OK | os.X_OK):
        raise FileError(
            f"drop folder {shown(root)} does not exist or is not readable: create it, "
            "or set FILE_DROPS_DIR to the folder where the files arrive"
        )
    if True in wildcards:
        found = [Path(p) for p in glob.glob(str(pattern))]
    elif path.is_dir():
        found = [p for p in path.iterdir() if not suffixes or p.suffix.lower() in suffixes]
    else:
        found = [path] if path.exists() or path.is_symlink() else []
    wanted = (p for p in found if not p.name.startswith(".") and p.suffix.lower() not in (".tmp", ".part"))
    checked = (_checked(p, root) for p in wanted)
    return sorted((real for real in checked if real is not None), key=str)


def detect_format(path: Path, configured: str | None) -> str:
    if configured and configured != "auto":
        return configured
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        # A `.json` drop is usually an array; JSON Lines saved as .json starts with `{`.
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip(codecs.BOM_UTF8).lstrip()
        return "jsonl" if head.startswith(b"{") else "json"
    return "csv"


def complete_end(path: Path, size: int) -> int:
    """Offset after the last newline within the first `size` bytes (0 if there is none)."""
    with path.open("rb") as fh:
        end = size
        while end > 0:
            start = max(0, end - (1 << 16))
            fh.seek(start)
            found = fh.read(end - start).rfind(b"\n")
            if found >= 0:
                return start + found + 1
            end = start
    return 0


def readable_end(path: Path, encoding: str, start: int, size: int, final: bool) -> int:
    """Where reading from `start` stops: after the last newline, or at `size` when the file is
    `final`. The bytes up to there are decoded first: an undecodable file is refused whole."""
    end = size if final else complete_end(path, size)
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        fh.seek(start)
        remaining = end - start
        while remaining > 0 and (chunk := fh.read(min(CHUNK, remaining))):
            remaining -= len(chunk)
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                where = line + chunk.count(b"\n", 0, exc.start)
                raise FileError(
                    f"{shown(path)}: cannot decode as {encoding} near byte {end - remaining - len(chunk) + exc.start} "
                    f"(line {where}{' after the resume point' if start else ''}): {exc.reason}. "
                    f"Set `encoding` for this entity (e.g. latin-1) or fix the file."
                ) from exc
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            raise FileError(f"{shown(path)}: ends with an incomplete {encoding} character") from exc
    return end


@dataclass
class LineCursor:
    """Lines from a byte offset up to `end`, with the offset, line count and sha256 of the bytes
    consumed (the bookmark). Lines are consumed when taken, so a record cut by `end` can be left
    for the next run (`cut`)."""

    fh: IO[bytes]
    encoding: str
    offset: int = 0
    lines: int = 0
    hasher: Any = field(default_factory=hashlib.sha256)
    end: int = 1 << 62
    final: bool = True  # nobody writes the file: a record cut by `end` is read as it is
    pending: list[bytes] = field(default_factory=list)
    pending_start: int = 1
    ran_out: bool = False  # a reader asked for a line past `end`

    def __iter__(self) -> Iterator[str]:
        self.fh.seek(self.offset)
        position = self.offset
        for raw in self.fh:
            position += len(raw)
            if position > self.end:  # the file grew past `end` while read
                break
            if not self.pending:
                self.pending_start = self.lines + 1
            self.pending.append(raw)
            text = raw.decode(self.encoding)
            if self.lines + len(self.pending) == 1 and text.startswith("\ufeff"):
                text = text[1:]
            yield text
        self.ran_out = True

    def position(self) -> tuple[int, int, str]:
        """Bytes and lines consumed, and the sha256 of those bytes."""
        return self.offset, self.lines, self.hasher.hexdigest()

    def take(self) -> tuple[int, str]:
        """(first line number, source text) of the lines read since the last take, now consumed."""
        data = b"".join(self.pending)
        self.offset += len(data)
        self.lines += len(self.pending)
        self.pending.clear()
        self.hasher.update(data)
        return self.pending_start, data.decode(self.encoding).rstrip("\r\n").lstrip("\ufeff")

    def cut(self) -> bool:
        """The record just read ran into `end` while the file may still grow: leave its lines
        unconsumed for the next run (True), or read it as it is (False)."""
        if self.ran_out and not self.final and self.pending:
            self.pending.clear()
            return True
        return False


def shorten(text: str, limit: int) -> str:
    """`text` cut to its first `limit` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def excerpt(value: object, limit: int = 120) -> str:
    """A value as an escaped (repr) excerpt for messages: a drop's line may be huge or hold control characters."""
    return shorten(repr(value), limit)


# Where a reader starts: None (the beginning), or the offset, lines and sha256 state to resume at.
Start = tuple[int, int, Any] | None
CheckHeader = Callable[[list[str]], None]  # raises FileError when a file's columns do not fit its contract


@dataclass
class Reading:
    """What a reader makes of a file: its pieces (lists of records, or CSV row blocks), and where
    the reading stands after each piece (bytes, lines and sha256 consumed)."""

    pieces: Iterator[Any]
    position: Callable[[], tuple[int, int, str]]
    resumable: bool = True  # False: a JSON array, whose bookmark only holds once it is read whole
    layout: str | None = None
    warnings: list[str] = field(default_factory=list)


def chunked(records: Iterable[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    """Records in lists of `size`."""
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk
