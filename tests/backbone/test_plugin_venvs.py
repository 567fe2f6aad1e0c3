"""`meltano install` leaves every plugin venv with its bytecode compiled (UV_COMPILE_BYTECODE in
meltano.yml). Where PYTHONDONTWRITEBYTECODE is set (CI, the Docker image), a venv without .pyc
files compiles its imports from source at every process start: seconds per tap, target and dbt."""

from __future__ import annotations

from pathlib import Path

import pytest

from infinit.stack import ROOT

VENVS = sorted(ROOT.glob(".meltano/*/*/venv"))


def uncompiled(venv: Path) -> list[Path]:
    """Modules of the venv's site-packages without a cached .pyc that Python could compile."""
    missing = []
    for source in venv.glob("lib/python3*/site-packages/**/*.py"):
        if any(source.parent.glob(f"__pycache__/{source.stem}.*.pyc")):
            continue
        try:
            compile(source.read_bytes(), str(source), "exec")
        except (SyntaxError, ValueError):  # e.g. test fixtures written in Python 2: not importable
            continue
        missing.append(source)
    return missing


def test_plugins_are_installed() -> None:
    names = {venv.parent.name for venv in VENVS}
    assert {"tap-csv", "tap-postgres", "target-postgres", "dbt"} <= names, names


@pytest.mark.parametrize("venv", VENVS, ids=lambda venv: venv.parent.name)
def test_plugin_venv_has_its_bytecode(venv: Path) -> None:
    missing = uncompiled(venv)
    assert not missing, (
        f"{len(missing)} modules without bytecode in {venv}, e.g. {missing[:3]}:"
        " a venv built before UV_COMPILE_BYTECODE? `make install` (meltano install --clean) rebuilds it"
    )
