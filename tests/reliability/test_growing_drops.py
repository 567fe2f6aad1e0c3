"""Guarantees: a drop read while it is being written loads each sale once, with its values; the
tap reads nothing but the drop folder's regular files, and says so when the folder is missing.

The writer is a real process (tests/reliability/drop_writer.py) appending clients.json (a JSON
array) and transactions.csv in chunks that hypothesis chooses (sizes cut lines, values and
characters anywhere; fsync after some), while Meltano runs again and again on the real stack:
the tap-csv EL block and the whole `elt` job in turn. Each example is a whole sequence; a few
examples only (each takes minutes).
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from infinit.stack import ROOT, Stack
from tests.reliability import drop_writer, pipeline
from tests.reliability.conftest import TRANSACTIONS

WRITING_SECONDS = 40  # about an EL block and a whole `meltano run elt` on this data
NAMES = itertools.count()


@pytest.fixture(scope="module")
def one_load(stack: Stack) -> dict[str, dict[str, object]]:
    """The marts after one `meltano run elt` over the finished files."""
    child = stack.fresh("m_growing_once")
    pipeline.write_demo(child, TRANSACTIONS)
    pipeline.elt(child)
    return pipeline.fingerprint(child)


@settings(
    max_examples=2,
    deadline=None,
    phases=[Phase.generate],  # no shrinking: every example is minutes of real runs
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    chunks=st.lists(st.integers(1, 4_000), min_size=1, max_size=12),
    fsync=st.lists(st.booleans(), min_size=1, max_size=4),
)
def test_a_drop_written_while_elt_runs_loads_each_sale_once(
    stack: Stack, one_load: dict[str, dict[str, object]], chunks: list[int], fsync: list[bool]
) -> None:
    child = stack.fresh(f"m_growing_{next(NAMES)}")
    pipeline.write_demo(child, TRANSACTIONS)  # the same files (and catalog) as one_load's
    finished = child.home / "finished"
    finished.mkdir()
    sources = [child.drops / "clients.json", child.drops / "transactions.csv"]
    for source in sources:
        source.rename(finished / source.name)
    files = [str(finished / source.name) for source in sources]
    count = drop_writer.steps([Path(f).stat().st_size for f in files], chunks)
    plan = {"files": files, "folder": str(child.drops), "chunks": chunks, "fsync": fsync}
    # far shorter than a run: two runs never find a file being written unchanged
    plan["pause"] = min(5.0, WRITING_SECONDS / count)
    writer = pipeline.spawn(child, [sys.executable, "-m", "tests.reliability.drop_writer", json.dumps(plan)])
    during: list[str] = []
    blocks = itertools.cycle([("tap-csv", "target-postgres"), ("elt",)])  # the EL block alone, then the job
    try:
        while writer.poll() is None:  # each run succeeds, whatever it finds
            during.append(pipeline.meltano(child, "run", *next(blocks)).stderr)
    finally:
        pipeline.kill_group(writer)
    assert writer.wait() == 0, writer.communicate()[0]
    pipeline.elt(child)
    waited = sum("left for the next run" in output for output in during)
    print(f"{len(during)} runs while the writer wrote {count} chunks, {waited} found a file incomplete")

    assert during
    assert pipeline.diff(pipeline.fingerprint(child), one_load) == []
    ids = pipeline.csv_transaction_ids(finished)
    assert len(ids) == TRANSACTIONS and pipeline.fact_ids(child) == ids
    # Each sale delivered once, from its own line (the legacy index is the line number - 2).
    assert child.query(
        "select count(*), count(distinct transaction_id), count(*) filter (where _source_lineno <> "
        "transaction_id + 1) from raw.transactions"
    ) == [(TRANSACTIONS, TRANSACTIONS, 0)]
    assert child.query("select count(*) from raw.clients") == [(20,)]
    assert child.query("select to_regclass('raw.file_rejects') is null or not exists (select from raw.file_rejects)")


def files_under(*folders: Path) -> list[Path]:
    """Every file under these folders, links not followed (the plugin venvs are links)."""
    found = [Path(top) / name for folder in folders for top, _, names in os.walk(folder) for name in names]
    return [path for path in found if not path.is_symlink()]


def test_a_link_to_the_environment_is_refused_and_leaks_nothing(stack: Stack) -> None:
    """The secret is in the environment of both runs: the one that finds the link, and the one
    after the link is gone (dbt runs too). It is in no output, log, file or table afterwards."""
    child = stack.fresh("m_growing_link")
    pipeline.write_demo(child, 20)
    secret = "planted-" + secrets.token_hex(12)
    env = {**pipeline.RUN_ENV, "INFINIT_PLANTED": secret}
    (child.drops / "transactions_x.csv").symlink_to("/proc/self/environ")
    refused = child.run(*pipeline.elt_argv(), check=False, env=env)
    assert refused.returncode != 0
    assert "transactions_x.csv: refused: a link leading outside the drop folder" in refused.stderr
    (child.drops / "transactions_x.csv").unlink()  # what the message says to do
    loaded = child.run(*pipeline.elt_argv(), env=env)  # a run that failed cleanly needs no --force
    assert len(pipeline.fact_ids(child)) == 20

    for run in (refused, loaded):
        assert secret not in run.stdout + run.stderr
    # Meltano's system database and run folder, dbt's logs and target, the BATCH files
    dbt_logs = Path(child.env["DBT_LOG_PATH"])
    written = files_under(child.home, dbt_logs, ROOT / ".meltano" / "logs", ROOT / ".meltano" / "run")
    assert dbt_logs / "dbt.log" in written
    assert [str(path) for path in written if secret.encode() in path.read_bytes()] == []
    for schema, table in child.query(
        "select table_schema, table_name from information_schema.tables "
        "where table_schema not in ('pg_catalog', 'information_schema')"
    ):
        found = child.query(f'select count(*) from "{schema}"."{table}" as t where t::text like %s', (f"%{secret}%",))
        assert found == [(0,)], f"{schema}.{table}"


def test_a_missing_drop_folder_fails_the_run_naming_it(stack: Stack) -> None:
    child = stack.fresh("m_growing_missing")
    missing = child.home / "no-such-folder"
    run = child.run(*pipeline.elt_argv(), check=False, env={**pipeline.RUN_ENV, "FILE_DROPS_DIR": str(missing)})
    assert run.returncode != 0
    assert f"drop folder {missing} does not exist or is not readable" in run.stdout + run.stderr
