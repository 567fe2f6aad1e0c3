"""The private parts of singer-sdk that tap-csv overrides or calls (extract/tap-csv/README.md says
why) are still there, as the tap uses them. An SDK upgrade that changes one fails here, naming
it, instead of deep inside a run. The behaviour behind each is tested end to end elsewhere
(test_tap_unit.py: time_extracted, rejects on the BATCH path, Parquet BATCH files)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pytest
from singer_sdk import Stream
from singer_sdk.helpers import _batch

from tap_csv.client import DropStream

SDK = f"singer-sdk {version('singer-sdk')}"
# name -> (the SDK's function, the parameters tap-csv passes it)
HOOKS: dict[str, tuple[Callable, list[str]]] = {
    "Stream._generate_record_messages (overridden: time_extracted)": (Stream._generate_record_messages, ["record"]),
    "Stream._write_record_message (called: rejects)": (Stream._write_record_message, ["record"]),
    "Stream._write_schema_message (called: rejects)": (Stream._write_schema_message, []),
}


@pytest.mark.parametrize("name", HOOKS)
def test_private_stream_hooks_keep_their_signature(name: str) -> None:
    function, params = HOOKS[name]
    found = list(inspect.signature(function).parameters)[1:]
    assert found == params, (
        f"{SDK} changed {name}: parameters {found}, tap-csv expects {params}. "
        "Adapt tap_csv/client.py or tap_csv/streams.py and extract/tap-csv/README.md"
    )


def test_the_overridden_hook_is_still_the_one_the_sdk_calls() -> None:
    """DropStream overrides _generate_record_messages: the SDK's _write_record_message must still
    go through it, or RECORD messages lose the file's extraction time."""
    source = inspect.getsource(Stream._write_record_message)
    assert "self._generate_record_messages(" in source, (
        f"{SDK}: Stream._write_record_message no longer calls _generate_record_messages; "
        "tap_csv/client.py sets time_extracted there: move it to the hook that now builds RECORD messages"
    )
    assert DropStream._generate_record_messages is not Stream._generate_record_messages


def test_batch_helpers_are_there(tmp_path: Path) -> None:
    """singer_sdk.helpers._batch: the batch config the tap receives and the storage it writes to."""
    config = _batch.BatchConfig.from_dict(
        {"encoding": {"format": "parquet"}, "storage": {"root": f"file://{tmp_path}", "prefix": "p-"}, "batch_size": 2}
    )
    assert (config.encoding.format, config.storage.prefix, config.batch_size) == ("parquet", "p-", 2), SDK
    with config.storage.open("p-x.parquet", "wb") as out:
        out.write(b"x")
    assert config.storage.get_url("p-x.parquet") == f"file://{tmp_path}/p-x.parquet", SDK
    assert _batch.BatchFileFormat.PARQUET == "parquet", SDK
