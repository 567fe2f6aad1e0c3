"""A throwaway Meltano runner: a system folder (MELTANO_SYS_DIR_ROOT) holding the project's
installed plugins, as a container image would, and nothing else (no system db, no logs)."""

from __future__ import annotations

from pathlib import Path

from tests.support.stack import ROOT


def new_runner(path: Path) -> Path:
    path.mkdir(parents=True)
    for kind in ("extractors", "loaders", "utilities"):
        (path / kind).symlink_to(ROOT / ".meltano" / kind, target_is_directory=True)
    return path
