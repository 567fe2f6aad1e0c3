"""Resolve a configured `path` (file, folder or glob) to the files to read."""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path

_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def expand(value: str) -> str:
    """Env vars in paths, also `${NAME:-default}` (Meltano leaves unknown vars as they are)."""
    value = _DEFAULTED.sub(lambda m: os.environ.get(m.group(1)) or m.group(2), value)
    return os.path.expanduser(os.path.expandvars(value))


def base_dir() -> Path:
    """Relative paths are relative to the Meltano project (or the working directory)."""
    return Path(os.environ.get("MELTANO_PROJECT_ROOT") or os.getcwd())


def absolute(value: str) -> Path:
    path = Path(expand(value))
    return path if path.is_absolute() else base_dir() / path


def resolve(value: str, suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Files matched by `value`, sorted by name (daily drops sort by date).

    A folder means every file in it (optionally filtered by suffix); hidden files and
    partial downloads (`*.tmp`, `*.part`) are ignored.
    """
    path = absolute(value)
    if glob.has_magic(str(path)):
        found = [Path(p) for p in glob.glob(str(path))]
    elif path.is_dir():
        found = [p for p in path.iterdir() if not suffixes or p.suffix.lower() in suffixes]
    else:
        found = [path] if path.exists() else []
    return sorted(
        (
            p.resolve()
            for p in found
            if p.is_file() and not p.name.startswith(".") and p.suffix.lower() not in (".tmp", ".part")
        ),
        key=str,
    )
