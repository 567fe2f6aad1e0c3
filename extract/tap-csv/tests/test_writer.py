"""tap-csv's msgspec message writer: the same Singer lines as singer-sdk's default writer."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from singer_sdk.singerlib.encoding.simple import SimpleSingerWriter
from singer_sdk.singerlib.messages import RecordMessage

from tap_csv.writer import MessageWriter

MESSAGE = RecordMessage(
    stream="transactions",
    record={
        "transaction_id": 7,
        "price": Decimal("12345.67"),
        "timestamp": datetime(2024, 7, 31, 23, 30, tzinfo=UTC),
        "name": 'Zoé «quoted» "name"',
        "client_id": None,
    },
    time_extracted=datetime(2026, 11, 25, 6, 0, tzinfo=UTC),
)


def _parsed(line: str) -> dict[str, object]:
    """The message as values: decimals exact (never a float approximation), timestamps as
    instants (msgspec writes UTC as `Z`, simplejson as `+00:00`: the same RFC 3339 instant)."""
    message = json.loads(line, parse_float=Decimal)
    message["time_extracted"] = datetime.fromisoformat(message["time_extracted"])
    message["record"]["timestamp"] = datetime.fromisoformat(message["record"]["timestamp"])
    return message


def test_bytes_stdout_gets_the_default_writers_line(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", out)
    MessageWriter().write_message(MESSAGE)
    out.flush()
    line = raw.getvalue().decode("utf-8")
    assert line.endswith("\n") and line.count("\n") == 1
    assert _parsed(line) == _parsed(SimpleSingerWriter().format_message(MESSAGE))
    assert '"price":12345.67' in line  # a JSON number, not a string


def test_text_stdout_without_buffer_still_works(monkeypatch: pytest.MonkeyPatch) -> None:
    out = io.StringIO()  # what singer-sdk's test helpers capture into
    monkeypatch.setattr(sys, "stdout", out)
    MessageWriter().write_message(MESSAGE)
    MessageWriter().write_message(MESSAGE)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert all(_parsed(line) == _parsed(SimpleSingerWriter().format_message(MESSAGE)) for line in lines)
