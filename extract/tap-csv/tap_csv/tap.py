"""tap-csv: Singer tap for file drops, checked against YAML contracts."""

from __future__ import annotations

from singer_sdk import Stream, Tap
from singer_sdk import typing as th

from tap_csv import csv_reader, files
from tap_csv.contracts import Contract, ContractError
from tap_csv.files import FileError, NotComplete
from tap_csv.streams import REJECTS_STREAM, FileSpec, FileStream, RejectsStream
from tap_csv.writer import MessageWriter

# One entry of `files` (MeltanoLabs tap-csv's shape, plus format and contract).
FILE = th.ObjectType(
    th.Property("entity", th.StringType, required=True, description="Stream (and raw table) name"),
    th.Property(
        "path",
        th.StringType,
        required=True,
        description="A file, a folder or a glob; env vars and ${VAR:-default} expand; relative to MELTANO_PROJECT_ROOT",
    ),
    th.Property("keys", th.ArrayType(th.StringType), description="Key properties for the target (default: append)"),
    th.Property("delimiter", th.StringType, default=","),
    th.Property("quotechar", th.StringType, default='"'),
    th.Property("encoding", th.StringType, default="utf-8", description="ASCII-compatible: utf-8, latin-1, cp1252"),
    th.Property("format", th.StringType, default="auto", allowed_values=["auto", "csv", "json", "jsonl"]),
    th.Property("contract", th.StringType, description="Contract YAML (default <contracts_dir>/<entity>.yml)"),
)


class TapCSV(Tap):
    """Reads CSV (clean or legacy-indexed), JSON array and JSON Lines files, incrementally per file."""

    name = "tap-csv"
    package_name = "infinit-tap-csv"
    message_writer_class = MessageWriter  # msgspec instead of simplejson: the same lines, less CPU

    config_jsonschema = th.PropertiesList(
        th.Property("files", th.ArrayType(FILE), required=True, description="Entities to extract (MeltanoLabs shape)"),
        th.Property(
            "contracts_dir",
            th.StringType,
            default="extract/contracts",
            description="Folder of the <entity>.yml contracts; an entity without one is read as all-string columns",
        ),
        th.Property(
            "add_metadata_columns",
            th.BooleanType,
            default=True,
            description="Add _source_file, _source_lineno, _source_file_mtime and _extracted_at to every record",
        ),
        th.Property(
            "on_reject",
            th.StringType,
            default="quarantine",
            allowed_values=["quarantine", "fail"],
            description="quarantine: bad rows go to the file_rejects stream; fail: stop at the first",
        ),
        th.Property(
            "batch_messages",
            th.BooleanType,
            default=True,
            description="false: one RECORD message per row even with a batch_config (tap-csv--records)",
        ),
    ).to_dict()

    def _contract(self, spec: FileSpec) -> Contract:
        """The `contract` of the entity's files entry, else <contracts_dir>/<entity>.yml (or .yaml)."""
        folder = self.config.get("contracts_dir")
        contracts_dir = files.absolute(folder) if folder else None
        found = [contracts_dir / f"{spec.entity}{suffix}" for suffix in (".yml", ".yaml")] if contracts_dir else []
        if spec.contract:
            found = [files.absolute(spec.contract)]
            if not found[0].is_file():
                raise FileError(f"contract {found[0]} of entity {spec.entity!r} does not exist")
        try:
            for path in found:
                if path.is_file():
                    return Contract.load(path)
        except ContractError as exc:
            raise FileError(str(exc)) from exc
        # No contract: the columns of the first CSV file's (complete) header, all optional strings.
        for path in files.resolve(spec.path):
            if files.detect_format(path, spec.format) == "csv":
                end = files.complete_end(path, path.stat().st_size)
                try:
                    layout = csv_reader.read_layout(path, spec.encoding, spec.delimiter, spec.quotechar, end, False)
                except NotComplete:
                    continue
                return Contract.from_header(spec.entity, layout.header)
        raise FileError(
            f"entity {spec.entity!r}: no contract ({contracts_dir}/{spec.entity}.yml) and no CSV file at "
            f"{spec.path} to take the columns from"
        )

    def discover_streams(self) -> list[Stream]:
        specs = [FileSpec.from_config(raw) for raw in self.config.get("files") or []]
        names = [s.entity for s in specs]
        if len(set(names)) != len(names) or REJECTS_STREAM in names:
            raise FileError(f"`files` entities must be unique and not {REJECTS_STREAM!r}: {names}")
        rejects = RejectsStream(self)
        streams: list[Stream] = [FileStream(self, spec, self._contract(spec), rejects) for spec in specs]
        return [*streams, rejects]  # rejects last: its rows are written while the entities are read


if __name__ == "__main__":
    TapCSV.cli()
