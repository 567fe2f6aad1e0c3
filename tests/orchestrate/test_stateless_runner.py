"""Stateless runners: with MELTANO_DATABASE_URI in the warehouse (as the docker and prod
environments set it), a runner's local .meltano/ can be thrown away without losing state.

A "runner" here is a Meltano system folder (MELTANO_SYS_DIR_ROOT) holding the installed
plugins, as an image would, and nothing else. The test runs the pipeline in one, deletes it
whole, and finds the bookmarks again from a brand-new one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infinit.stack import Stack
from tests.orchestrate.runner import new_runner, warehouse_uri

pytestmark = pytest.mark.slow  # real pipeline runs

STATE_IDS = {"dev:tap-postgres-to-target-postgres", "dev:tap-csv-to-target-postgres"}


def test_state_survives_replacing_the_runner(demo_stack: Stack, tmp_path: Path) -> None:
    # schema `meltano` and its owner, the state role, come from deploy/postgres/warehouse.sql
    first = new_runner(tmp_path / "runner-1")
    env = {"MELTANO_DATABASE_URI": warehouse_uri(demo_stack), "MELTANO_SYS_DIR_ROOT": str(first)}

    demo_stack.meltano("run", "el", env=env)
    states = {
        state_id: json.loads(demo_stack.meltano("state", "get", state_id, env=env).stdout) for state_id in STATE_IDS
    }
    assert states["dev:tap-csv-to-target-postgres"]["singer_state"], "tap-csv keeps per-file bookmarks"
    assert not (first / "meltano.db").exists(), "no local system database in a stateless runner"

    # The system database is in the warehouse, in its own schema.
    tables = {
        r[0]
        for r in demo_stack.query("select table_name from information_schema.tables where table_schema = 'meltano'")
    }
    assert {"runs", "state"} <= tables, tables

    shutil.rmtree(first)
    second = new_runner(tmp_path / "runner-2")
    env["MELTANO_SYS_DIR_ROOT"] = str(second)
    listed = set(demo_stack.meltano("state", "list", env=env).stdout.split())
    assert listed >= STATE_IDS
    for state_id, state in states.items():
        assert json.loads(demo_stack.meltano("state", "get", state_id, env=env).stdout) == state

    # The new runner carries on from the bookmarks: the same files are not loaded twice.
    before = demo_stack.query("select count(*) from raw.transactions")[0][0]
    demo_stack.meltano("run", "tap-csv", "target-postgres", env=env)
    assert demo_stack.query("select count(*) from raw.transactions")[0][0] == before
