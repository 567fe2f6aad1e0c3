"""A leaner bulk load for target-postgres 0.8.1, with the same rows (numbers keep their digits).

Parquet batch files (tap-csv's BATCH format) skip Python per value altogether: pyarrow reads a
file's typed columns and writes them as CSV, which COPY takes as it is (`CsvRows`). In append
mode (no key properties) the sink COPYs into the table itself, in the batch's one transaction,
where stock COPYs into a temporary table and then copies those rows once more. RECORD messages
reach COPY as one tuple per row; numbers as the Decimals they were decoded to, not through
stock's float (see `_copy_rows`). Upserts keep the stock temp table and merge. Everything else
(table creation and evolution, one transaction per batch, the "Inserting with SQL" log line)
is the stock code.

Two additions: each tap-csv table gets a BRIN index on its load time, kept summarised at the
end of every load (`LoadTimeIndex`), so that staging reads a load's new rows without scanning
the history; and a tap-csv table of an older release has its metadata columns renamed to the
tap's current names when its stream starts (`rename_legacy_metadata`).
"""

from __future__ import annotations

import typing as t
from collections import deque

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy
from psycopg.copy import QueuedLibpqWriter
from singer_sdk.helpers._batch import BatchFileFormat, StorageTarget
from target_postgres.sinks import PostgresSink

if t.TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from singer_sdk.helpers._batch import BaseBatchFileEncoding


def exact_numeric(column_type: sqlalchemy.types.TypeEngine) -> bool:
    """NUMERIC/DECIMAL (what target-postgres makes of a JSON `number`), not a float type."""
    return isinstance(column_type, sqlalchemy.Numeric) and not isinstance(column_type, sqlalchemy.Float)


def value_processors(columns: list[sqlalchemy.Column], dialect: sqlalchemy.engine.Dialect) -> list[t.Any]:
    """Per column, the function its type applies to each value before it is sent (e.g. JSON
    dumped), or None. Numeric columns get none: COPY takes the Decimal's own digits, where the
    type's processor would turn each one into a float (see `FastCopySink._copy_rows`)."""
    return [None if exact_numeric(column.type) else column.type.bind_processor(dialect) for column in columns]


CSV_TYPES = (
    pa.types.is_integer,
    pa.types.is_floating,
    pa.types.is_decimal,
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_boolean,
    pa.types.is_date,
    pa.types.is_timestamp,
    pa.types.is_null,
)


class CsvRows:
    """A Parquet batch file as COPY's CSV input: its columns that are table columns, in the
    table's order, written by pyarrow. CSV tells NULL (an empty field) from an empty string
    (`""`), as COPY's CSV format reads them; decimals keep their exact digits, texts are UTF-8."""

    def __init__(self, table: pa.Table, names: list[str], sanitize_nul: bool) -> None:
        self.names = [name for name in names if name in table.column_names]
        table = table.select(self.names)
        if sanitize_nul:  # as stock: U+0000, which PostgreSQL text cannot hold, becomes U+FFFD
            table = pa.table(
                [_without_nul(column) for column in table.columns],
                names=self.names,
            )
        self.count = table.num_rows
        buffer = pa.BufferOutputStream()
        pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(include_header=False))
        self.payload = buffer.getvalue()

    @staticmethod
    def convertible(table: pa.Table, names: list[str]) -> bool:
        """True when the file has table columns and all of them are of types whose CSV text
        PostgreSQL reads as the value: numbers, texts, booleans, dates and timestamps. Others
        (nested objects and arrays, binary) go the stock way; columns that are not table
        columns are ignored on both ways."""
        fields = [field for field in table.schema if field.name in names]
        return bool(fields) and all(any(check(field.type) for check in CSV_TYPES) for field in fields)


def _without_nul(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        return pc.replace_substring(column, "\u0000", "\ufffd")
    return column


# tap-csv's metadata columns were `_sdc_*` until they met the names singer-sdk reserves
# (a target that adds no metadata drops `_sdc_extracted_at`): old name -> current name.
LEGACY_METADATA = {
    "_sdc_source_file": "_source_file",
    "_sdc_source_lineno": "_source_lineno",
    "_sdc_source_file_mtime": "_source_file_mtime",
    "_sdc_extracted_at": "_extracted_at",
}


def rename_legacy_metadata(connection: sqlalchemy.engine.Connection, schema: str, table: str) -> list[str]:
    """Rename the old metadata columns of a tap-csv table (one that has `_sdc_source_file`) to
    the current names, in the caller's transaction: a catalog change, instant at any size, and
    the rows loaded before keep their values under the names staging reads. Returns what was
    renamed ("old -> new"); nothing for any other table, or one already renamed."""
    found = {
        row[0]
        for row in connection.execute(
            sqlalchemy.text(
                "select attname from pg_attribute where attrelid = to_regclass(:table)"
                " and attnum > 0 and not attisdropped"
            ),
            {"table": f'"{schema}"."{table}"'},
        )
    }
    if "_sdc_source_file" not in found:
        return []
    quote = connection.dialect.identifier_preparer.quote
    renamed = []
    for old, new in LEGACY_METADATA.items():
        if old in found and new not in found:
            connection.exec_driver_sql(
                f"alter table {quote(schema)}.{quote(table)} rename column {quote(old)} to {quote(new)}"
            )
            renamed.append(f"{old} -> {new}")
    return renamed


class LoadTimeIndex:
    """A BRIN index on a tap-csv table's load time: `coalesce(_sdc_batched_at, _extracted_at)`,
    the loader's own stamp or, on the BATCH path (which leaves `_sdc_batched_at` null), the
    tap's, which is what dbt staging's incremental filter reads (`loaded_after` in
    transform/macros/time.sql). A table of an older release had the tap's stamp as
    `_sdc_extracted_at`: its index follows the column's rename.

    Raw tables are append-only, so their load times grow with the pages: a BRIN index keeps the
    range of each 128 pages in a few kB and lets a query for the newest loads skip the rest of
    the history (without it, staging reads the whole table to find a day's new rows). Ranges
    written after the last summary are always read (never a wrong answer), so every load ends by
    summarising its new pages, a cost proportional to the load. A table without the index (its
    first load, or one loaded before the index existed) gets it at the end of the load instead:
    building it over many rows is faster than summarising them range by range. A table never
    analysed (the first load) is analysed then too, or the planner would not know how selective
    the filter is.
    """

    COLUMNS = ("_sdc_batched_at", "_extracted_at")
    EXPRESSION = "coalesce(_sdc_batched_at, _extracted_at)"

    def __init__(self, schema: str, table: str, preparer: sqlalchemy.sql.compiler.IdentifierPreparer) -> None:
        name = f"{table}__load_time"[:63]  # PostgreSQL's identifier limit
        self.table = f"{preparer.quote_schema(schema)}.{preparer.quote(table)}"
        self.index = f"{preparer.quote_schema(schema)}.{preparer.quote(name)}"
        self.name = preparer.quote(name)

    def refresh(self, connection: sqlalchemy.engine.Connection) -> None:
        """At the end of a load: the index summarised over the new pages, or built; the table
        analysed if it never was."""
        if self.exists(connection):
            _scalar(connection, "select brin_summarize_new_values(to_regclass(:index))", index=self.index)
        else:
            self.create(connection)
        never_analysed = _scalar(
            connection,
            "select coalesce(last_analyze, last_autoanalyze) is null"
            " from pg_stat_user_tables where relid = to_regclass(:table)",
            table=self.table,
        )
        if never_analysed:
            connection.exec_driver_sql(f"analyze {self.table}")

    def create(self, connection: sqlalchemy.engine.Connection) -> None:
        """Builds the index when the table has both columns."""
        columns = _scalar(
            connection,
            "select count(*) from pg_attribute"
            " where attrelid = to_regclass(:table) and attname = any(:names) and not attisdropped",
            table=self.table,
            names=list(self.COLUMNS),
        )
        if columns == len(self.COLUMNS):
            connection.exec_driver_sql(f"create index {self.name} on {self.table} using brin (({self.EXPRESSION}))")

    def exists(self, connection: sqlalchemy.engine.Connection) -> bool:
        return bool(_scalar(connection, "select to_regclass(:index) is not null", index=self.index))


def _scalar(connection: sqlalchemy.engine.Connection, sql: str, **params: t.Any) -> t.Any:
    return connection.execute(sqlalchemy.text(sql), params).scalar()


class FastCopySink(PostgresSink):
    """PostgresSink with Parquet batch files COPYed as CSV, tuple rows for COPY, and appends
    straight into the table; raw tables indexed by load time."""

    _checked_table: sqlalchemy.Table | None = None

    def setup(self) -> None:
        """Stock's set-up (schema and table created or evolved), after the old metadata
        columns of a tap-csv table are renamed (`rename_legacy_metadata`)."""
        if "_source_file" in self.schema.get("properties", {}):
            with self.connector._connect() as connection, connection.begin():
                schema = self.schema_name or connection.exec_driver_sql("select current_schema()").scalar()
                for change in rename_legacy_metadata(connection, schema, self.table_name):
                    self.logger.info("Renamed %s.%s column %s (tap-csv's names)", schema, self.table_name, change)
        super().setup()

    def clean_up(self) -> None:
        """At the end of the stream: the load-time index summarised over this load's pages (or
        built), before stock's clean-up. The rows are committed by then and the index only makes
        staging faster, so a failure here is a warning, not a failed load."""
        try:
            with self.connector._connect() as connection, connection.begin():
                schema = self.schema_name or connection.exec_driver_sql("select current_schema()").scalar()
                LoadTimeIndex(schema, self.table_name, connection.dialect.identifier_preparer).refresh(connection)
        except sqlalchemy.exc.SQLAlchemyError as error:
            self.logger.warning("Load-time index of %s not refreshed (staging reads more): %s", self.table_name, error)
        super().clean_up()

    def process_batch_files(self, encoding: BaseBatchFileEncoding, files: Sequence[str]) -> None:
        """Parquet files appended over COPY: each file as one batch of CSV rows (`CsvRows`), or the
        stock way when it has nested columns or the table has a column whose type converts its
        values (JSON). Other formats and modes: stock."""
        if encoding.format != BatchFileFormat.PARQUET or not self.append_only or not self.config["use_copy"]:
            super().process_batch_files(encoding, files)
            return
        columns = self.column_representation(self.schema)
        names = [column.name for column in columns]
        plain = not any(value_processors(columns, self.connector._engine.dialect))
        storage = self.batch_config.storage if self.batch_config else None
        for path in files:
            head, tail = StorageTarget.split_url(path)
            with (storage or StorageTarget.from_url(head)).open(tail, mode="rb") as raw:
                table = pq.read_table(raw)
            if plain and CsvRows.convertible(table, names):
                records: t.Any = CsvRows(table, names, bool(self.connector.sanitize_null_text_characters))
                count = records.count
            else:
                records = table.to_pylist()
                count = len(records)
            self.record_counter_metric.increment(count)
            self.process_batch({"records": records})

    def process_batch(self, context: dict[str, t.Any]) -> None:
        """Append mode: COPY into the table itself, in one transaction. Upserts: stock.

        The first batch of the sink checks the table against the schema (creating or altering
        it), as stock does for every batch; later batches reuse that table once its transaction
        has committed. A sink has one schema (a new SCHEMA message makes a new sink), and the
        check reflects the table from the catalog each time: a fixed cost per batch, paid once here.
        """
        if not self.append_only or not self.config["use_copy"]:
            super().process_batch(context)
            return
        with self.connector._connect() as connection, connection.begin():
            table = self._checked_table
            if table is None:
                table = self.connector.prepare_table(
                    full_table_name=self.full_table_name,
                    schema=self.schema,
                    primary_keys=self.key_properties,
                    as_temp_table=False,
                    connection=connection,
                )
            self.bulk_insert_records(
                table=table,
                schema=self.schema,
                primary_keys=self.key_properties,
                records=context["records"],
                connection=connection,
            )
        self._checked_table = table

    def bulk_insert_records(  # type: ignore[override]
        self,
        table: sqlalchemy.Table,
        schema: dict[str, t.Any],
        records: Iterable[dict[str, t.Any]],
        primary_keys: Sequence[str],
        connection: sqlalchemy.engine.Connection,
    ) -> int | None:
        """Insert into the (temp) table: the stock semantics, one tuple per row."""
        if not self.config["use_copy"]:
            return super().bulk_insert_records(table, schema, records, primary_keys, connection)
        target = connection.dialect.identifier_preparer.format_table(table)
        if isinstance(records, CsvRows):  # only in append mode (see process_batch_files)
            names_sql = ", ".join(f'"{name}"' for name in records.names)
            copy_statement = f"COPY {target} ({names_sql}) FROM STDIN (FORMAT csv)"
            self.logger.info("Inserting with SQL: %s", copy_statement)
            with connection.connection.cursor() as cursor, cursor.copy(copy_statement) as copy:
                copy.write(records.payload)
            return True
        columns = self.column_representation(schema)
        names = [column.name for column in columns]
        rows: Iterable[tuple[t.Any, ...]] = [tuple(map(record.get, names)) for record in records]
        if self.connector.sanitize_null_text_characters:
            clean = self.sanitize_null_text_characters
            rows = [tuple(map(clean, row)) for row in rows]
        if self.append_only is False:
            # Upsert mode: one row per primary key, the last one wins (as stock).
            positions = [names.index(key) for key in primary_keys]
            latest = {tuple(row[i] for i in positions): row for row in rows}
            rows = list(latest.values())
        # The table by its schema-qualified, quoted name: in append mode it is the real table.
        names_sql = ", ".join(f'"{column.name}"' for column in columns)
        copy_statement = f"COPY {target} ({names_sql}) FROM STDIN"
        self.logger.info("Inserting with SQL: %s", copy_statement)
        self._copy_rows(connection, copy_statement, columns, rows)
        return True

    def _copy_rows(
        self,
        connection: sqlalchemy.engine.Connection,
        copy_statement: str,
        columns: list[sqlalchemy.Column],
        rows: Iterable[tuple[t.Any, ...]],
    ) -> None:
        """COPY the rows; a column whose type has a bind processor (e.g. JSON) goes through it.

        Except numeric columns: their processor turns each Decimal into a float, which keeps
        about 16 significant digits and costs ~2 µs a row in this loop. COPY takes the
        Decimal's own digits instead, as the JSON wrote them. Up to 15 significant digits the
        value is the one stock lands, only its scale may differ (`12015` stays 12015 where
        stock writes 12015.0); longer numbers keep every digit here.
        """
        processors = value_processors(columns, connection.dialect)
        converted = [(i, fn) for i, fn in enumerate(processors) if fn is not None]
        cursor = connection.connection.cursor()
        # A thread sends what is formatted while the next rows are: the server parses meanwhile.
        with cursor.copy(copy_statement, writer=QueuedLibpqWriter(cursor)) as copy:
            if not converted:
                deque(map(copy.write_row, rows), maxlen=0)  # the loop in C
                return
            for row in rows:
                values = list(row)
                for i, fn in converted:
                    values[i] = fn(values[i])
                copy.write_row(values)
