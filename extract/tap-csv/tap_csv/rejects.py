"""The rejects stream's schema and the errors of rows and files.

Every row that breaks its contract becomes one `file_rejects` record (raw.file_rejects):
entity, reason (`<code>: <detail>`), column_name (nullable), raw_line and the load
metadata of its file. Reason codes: wrong_value_count, malformed_csv, invalid_json,
not_an_object, missing_required, invalid_integer, invalid_decimal, invalid_timestamp,
invalid_date, invalid_boolean, invalid_string, unexpected_field, out_of_range.
"""

from __future__ import annotations

from typing import Any

REJECTS_STREAM = "file_rejects"
# What a reject keeps of its record's source text, and of its reason (which quotes a value).
RAW_LINE_LIMIT = 10_000
REASON_LIMIT = 300

# The load metadata of every record (entity streams when add_metadata_columns, rejects always).
# Not `_sdc_*`: singer-sdk reserves `_sdc_extracted_at` and its kin for the target's own
# metadata, and a target that does not add metadata drops them (MeltanoLabs target-csv).
METADATA_PROPERTIES: dict[str, dict[str, Any]] = {
    "_source_file": {"type": ["string"], "description": "absolute path of the source file"},
    "_source_lineno": {"type": ["integer"], "description": "physical line where the record starts"},
    "_source_file_mtime": {"type": ["string"], "format": "date-time"},
    "_extracted_at": {
        "type": ["string"],
        "format": "date-time",
        "description": "when tap-csv read the file: one value per file and run",
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
