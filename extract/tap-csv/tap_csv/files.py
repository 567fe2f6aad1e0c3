"""Resolve a configured `path` (file, folder or glob) to the files to read, and name them safely."""

from __future__ import annotations

import glob
import os
import re
import stat
from pathlib import Path

_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")
# Pseudo file systems: never drop folders, whatever a link or FILE_DROPS_DIR says.
_SYSTEM = (Path("/proc"), Path("/sys"), Path("/dev"))


class FileError(Exception):
    """A file-level fault: the whole file is refused (bad header, encoding, truncated JSON, not a
    regular file inside the drop folder) or the drop folder itself is missing."""


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


def shown(path: Path | str) -> str:
    """A path as text that any log, message or column takes: bytes that are not UTF-8 escaped."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def drop_folder(path: Path) -> Path:
    """The folder a `path` value reads from: a folder itself, else the nearest parent without a wildcard."""
    if path.is_dir() and not glob.has_magic(str(path)):
        return path
    folder = path.parent
    while glob.has_magic(str(folder)):
        folder = folder.parent
    return folder


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
    path = absolute(value)
    root = drop_folder(path).resolve()
    if not root.is_dir() or not os.access(root, os.R_OK | os.X_OK):
        raise FileError(
            f"drop folder {shown(root)} does not exist or is not readable: create it, "
            "or set FILE_DROPS_DIR to the folder where the files arrive"
        )
    if glob.has_magic(str(path)):
        found = [Path(p) for p in glob.glob(str(path))]
    elif path.is_dir():
        found = [p for p in path.iterdir() if not suffixes or p.suffix.lower() in suffixes]
    else:
        found = [path] if path.exists() or path.is_symlink() else []
    wanted = (p for p in found if not p.name.startswith(".") and p.suffix.lower() not in (".tmp", ".part"))
    checked = (_checked(p, root) for p in wanted)
    return sorted((real for real in checked if real is not None), key=str)
