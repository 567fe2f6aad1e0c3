"""The private parts of singer-sdk and target-postgres that the sink uses (load/target-postgres/
README.md says why) are still there, as the sink uses them. An upgrade that changes one fails here,
naming it, instead of deep inside a load. The behaviour behind each is tested end to end in
test_fast_sink.py. The check runs in the loader's own plugin venv, where those packages live."""

from __future__ import annotations

import json
import subprocess

import pytest
from infinit.stack import ROOT

PYTHON = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin" / "python"

# Prints {part: what is wrong} for each private part the sink relies on that changed.
CHECK = """
import contextlib, inspect, json
from importlib.metadata import version
from singer_sdk.connectors import SQLConnector
from singer_sdk.helpers import _batch
from target_postgres.connector import PostgresConnector

wrong = {}
connect = inspect.unwrap(SQLConnector._connect)
if list(inspect.signature(connect).parameters) != ["self"] or not inspect.isgeneratorfunction(connect):
    wrong["connector._connect()"] = f"no longer a context manager without arguments: {inspect.signature(connect)}"
connector = PostgresConnector(config={"sqlalchemy_url": "postgresql+psycopg://u:p@localhost:1/db"})
if not hasattr(getattr(connector, "_engine", None), "dialect"):
    wrong["connector._engine.dialect"] = "gone: the sink reads the columns' bind processors from it"
if getattr(_batch, "BatchFileFormat", None) is None or _batch.BatchFileFormat.PARQUET != "parquet":
    wrong["singer_sdk.helpers._batch.BatchFileFormat.PARQUET"] = "gone or renamed"
storage = getattr(_batch, "StorageTarget", None)
if storage is None or not all(hasattr(storage, name) for name in ("split_url", "from_url", "open")):
    wrong["singer_sdk.helpers._batch.StorageTarget"] = "gone, or lost split_url, from_url or open"
elif storage.split_url("file:///tmp/batches/x.parquet") != ("file:///tmp/batches", "x.parquet"):
    wrong["StorageTarget.split_url"] = f"splits differently: {storage.split_url('file:///tmp/batches/x.parquet')}"
print(json.dumps({"sdk": version("singer-sdk"), "target": version("meltanolabs-target-postgres"), "wrong": wrong}))
"""


def test_private_sdk_and_connector_parts_are_there() -> None:
    if not PYTHON.exists():
        pytest.fail(f"{PYTHON} is missing: run `make install` (it installs the loader's plugin venv)")
    out = subprocess.run([str(PYTHON), "-c", CHECK], capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"the check of the sink's private parts failed to run:\n{out.stderr}"
    found = json.loads(out.stdout)
    assert not found["wrong"], (
        f"singer-sdk {found['sdk']} / target-postgres {found['target']} changed what "
        f"infinit_target_postgres/sink.py uses: {found['wrong']}. Adapt sink.py and load/target-postgres/README.md"
    )
