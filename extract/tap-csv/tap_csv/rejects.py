"""The rejects stream's schema and the errors of rows and files.

Every row that breaks its contract becomes one `file_rejects` record (raw.file_rejects):
entity, reason (`<code>: <detail>`), column_name (nullable), raw_line and the load
metadata of its file. Reason codes: wrong_value_count, malformed_csv, invalid_json,
not_an_object, missing_required, invalid_integer, invalid_decimal, invalid_timestamp,
invalid_date, invalid_boolean, invalid_string, unexpected_field, duplicate_key.
"""

from __future__ import annotations

from typing import Any

REJECTS_STREAM = "file_rejects"
# What a reject keeps of its record's source text, and of its reason (which quotes a value).
RAW_LINE_LIMIT = 10_000
REASON_LIMIT = 300

# The load metadata of every record (entity streams when add_metadata_columns, rejects always).
METADATA_PROPERTIES: dict[str, dict[str, Any]] = {
    "_sdc_source_file": {"type": ["string"], "description": "absolute path of the source file"},
    "_sdc_source_lineno": {"type": ["integer"], "description": "physical line where the record starts"},
    "_sdc_source_file_mtime": {"type": ["string"], "format": "date-time"},
    "_sdc_extracted_at": {
        "type": ["string"],
        "format": "date-time",
        "description": "one value per file and run: deterministic dedup order",
    },
}

REJECTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "entity": {"type": ["string"]},
        "reason": {"type": ["string"]},
        "column_name": {"type": ["string", "null"]},
        "raw_line": {"type": ["string"]},
        **METADATA_PROPERTIES,
    },
}


class RowRejected(Exception):
    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


class RejectedRowError(Exception):
    """on_reject: fail: the first bad row stops the run."""


def shorten(text: str, limit: int) -> str:
    """`text` cut to its first `limit` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def excerpt(value: object, limit: int = 120) -> str:
    """A value as an escaped (repr) excerpt, for messages and logs: a line of a drop file may be
    huge or hold control characters."""
    return shorten(repr(value), limit)
