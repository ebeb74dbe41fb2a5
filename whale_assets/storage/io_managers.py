"""Dagster IO managers: window arrays as `.npy` partitions, tables in DuckDB."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import duckdb
import pandas as pd
from dagster import (
    ConfigurableIOManagerFactory,
    Failure,
    InputContext,
    IOManager,
    OutputContext,
    UPathIOManager,
)
from pydantic import Field
from upath import UPath

from whale_assets.core.windows import WindowStatus
from whale_assets.io_rules.errors import is_duckdb_lock, is_transient
from whale_assets.storage.files import confined
from whale_assets.storage.fingerprints import (
    FingerprintedIOManager,
    FingerprintRegistry,
)
from whale_assets.storage.layout import DUCKDB_SCHEMA
from whale_assets.storage.metadata_keys import (
    INCOMPLETE_KEY,
    STORED_BYTES_KEY,
    TABLE_NAME_KEY,
    WINDOWS_KEY,
    windows_with_status_key,
)
from whale_assets.storage.run_placement import check_local_storage_reaches_runs
from whale_assets.storage.s3 import storage_path
from whale_assets.storage.table_types import storage_types
from whale_assets.storage.window_arrays import (
    INDEX_NAME,
    StoredWindows,
    WindowArrays,
    read_partition,
    status_counts,
    write_partition,
)

# Another process writing or reading the DuckDB file holds its lock for seconds: as long as
# dagster-duckdb waited (0.1 s doubling, ~100 s in all), but only for a lock.
WRITER_LOCK_WAITS_S = tuple(0.1 * 2**n for n in range(10))
# How partition bounds are written in SQL (as dagster-duckdb wrote them, so stored days match).
SQL_TIME = "%Y-%m-%d %H:%M:%S"


class StoredFileProblem(ValueError):
    """A stored partition missing or unreadable: the message names the file, `what_to_do` the cure."""

    def __init__(self, problem: str, what_to_do: str) -> None:
        super().__init__(problem)
        self.what_to_do = what_to_do


class WindowArrayIOManager(UPathIOManager):
    """Each partition is a directory `<base>/<asset>/<YYYY-MM-DD>/` of `.npy` files and an index."""

    extension = ""

    def dump_to_path(self, context: OutputContext, obj: WindowArrays, path: UPath) -> None:
        stored = write_partition(confined(path, self._base_path), obj)  # a symlinked day folder is refused
        counts = status_counts(stored)
        context.add_output_metadata(
            {
                WINDOWS_KEY: len(stored),
                # Every status, zeros included: a count missing on some days leaves gaps in plots.
                **{windows_with_status_key(s.value): counts.get(s.value, 0) for s in WindowStatus},
                STORED_BYTES_KEY: sum(r.array.nbytes for r in stored if r.array is not None),
                # Known only now that every window has been produced (see WindowArrays.incomplete).
                **({INCOMPLETE_KEY: True} if obj.incomplete else {}),
            }
        )

    def load_from_path(self, context: InputContext, path: UPath) -> StoredWindows:
        asset = context.asset_key.to_user_string() if context.has_asset_key else path.parent.name
        try:
            return read_partition(path)
        except FileNotFoundError as missing:
            if (path / INDEX_NAME).exists():
                raise
            raise StoredFileProblem(
                f"{asset} {path.name} is not stored (no {path / INDEX_NAME})",
                f"run the pipeline for {path.name} first (job whale_pipeline: encounters, raw_audio, sifted_audio, "
                f"classifications), then this asset",
            ) from missing
        except (ValueError, KeyError, TypeError) as corrupt:  # json's JSONDecodeError is a ValueError
            raise StoredFileProblem(
                f"{path / INDEX_NAME} is corrupt ({type(corrupt).__name__}: {corrupt})",
                f"re-materialize {asset} for {path.name} with force: true (run config) to write it again",
            ) from corrupt


class WindowArrayStorage(ConfigurableIOManagerFactory):
    """Window arrays under `base_path` (a local directory, or an fsspec URL such as s3://...)."""

    base_path: str
    fingerprint_root: str | None = None
    shared_local_storage: bool = False  # WHALE_SHARED_LOCAL_STORAGE: every run mounts this folder

    def create_io_manager(self, context) -> IOManager:
        if "://" not in self.base_path:
            check_local_storage_reaches_runs(context.instance, self.shared_local_storage)
        return with_fingerprints(WindowArrayIOManager(base_path=storage_path(self.base_path)), self.fingerprint_root)


class DuckDBTableIOManager(IOManager):
    """Daily table partitions as rows of one DuckDB table per asset, `<schema>.<asset name>`.

    The same tables dagster-duckdb's IO manager kept (a store written by it is read and replaced
    as before), on public Dagster APIs only. A partition is replaced in one transaction: the
    delete of the day's old rows and the insert of the new ones commit together, so an insert
    that fails (a drifted column type, a killed process) leaves the stored day as it was. Empty
    days are stored too (a day without encounters still has a table for downstream reads and
    SQL), with column types that never drift (`storage_types`). One writer process at a time:
    DuckDB's file lock, waited out by `connect_writer`.
    """

    def __init__(self, database: str, schema: str, connection_config: Mapping[str, Any]) -> None:
        self.database = database
        self.schema = schema
        self.connection_config = {"custom_user_agent": "dagster", **connection_config}

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()}: tables are pandas DataFrames, got {type(obj)}")
        table = self._table(context.asset_key.path[-1])
        where = partition_where(context, context.definition_metadata)
        frame = storage_types(obj)
        with self._connection() as connection:
            connection.execute("begin transaction")
            try:
                connection.execute(f"create schema if not exists {self.schema}")
                if where is None:
                    # An unpartitioned table is the whole output: replaced, so a column renamed
                    # since (detector_performance's `true` -> `n_true`) leaves no stale column behind.
                    connection.execute(f"drop table if exists {table}")
                connection.execute(f"create table if not exists {table} as select * from frame limit 0")
                add_missing_columns(connection, table, frame)
                connection.execute(f"delete from {table}" + (f" where {where}" if where else ""))
                connection.execute(f"insert into {table} by name select * from frame")
                connection.execute("commit")
            except BaseException:
                connection.execute("rollback")
                raise
        # The row count and column schema come from the asset (assets/table_metadata.py).
        context.add_output_metadata({TABLE_NAME_KEY: table})

    def load_input(self, context: InputContext) -> pd.DataFrame:
        upstream = context.upstream_output
        if context.has_asset_partitions and not context.asset_partition_keys:
            return pd.DataFrame()
        table = self._table(context.asset_key.path[-1])
        where = partition_where(context, upstream.definition_metadata if upstream is not None else None)
        columns = (context.definition_metadata or {}).get("columns")
        select = f"select {', '.join(columns) if columns else '*'} from {table}" + (f" where {where}" if where else "")
        with self._connection() as connection:
            return connection.execute(select).fetchdf()

    def _table(self, name: str) -> str:
        return f"{self.schema}.{name}"

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        # Always closed, a failed write included, so a failure never keeps the file locked.
        connection = connect_writer(self.database, self.connection_config)
        try:
            yield connection
        finally:
            connection.close()


def partition_where(context: InputContext | OutputContext, metadata: Mapping[str, Any] | None) -> str | None:
    """The SQL condition selecting the context's days (as dagster-duckdb wrote it), or None: every row."""
    if not context.has_asset_partitions:
        return None
    column = (metadata or {}).get("partition_expr")
    if column is None:
        raise ValueError(
            f"{context.asset_key.to_user_string()} is partitioned but has no 'partition_expr' metadata naming "
            "its partition column: add metadata={'partition_expr': 'date'} to the asset"
        )
    start, end = context.asset_partitions_time_window
    return f"{column} >= '{start.strftime(SQL_TIME)}' AND {column} < '{end.strftime(SQL_TIME)}'"


def connect_writer(
    database: str, config: dict, waits_s: Sequence[float] = WRITER_LOCK_WAITS_S
) -> duckdb.DuckDBPyConnection:
    """A read-write connection, waiting out (only) another process's lock on the file."""
    for wait_s in waits_s:
        try:
            return duckdb.connect(database, read_only=False, config=config)
        except duckdb.IOException as error:
            if not is_duckdb_lock(error):
                raise
            time.sleep(wait_s)
    return duckdb.connect(database, read_only=False, config=config)


class WhaleDuckDBIOManager(ConfigurableIOManagerFactory):
    """Daily tables in one DuckDB file (`database`), replacing a partition atomically."""

    database: str = Field(description="Path to the DuckDB database file.")
    connection_config: dict[str, Any] = Field(default={}, description="DuckDB connection settings.")
    schema_: str = Field(default=DUCKDB_SCHEMA, alias="schema", description="Schema of the tables.")
    fingerprint_root: str | None = None
    shared_local_storage: bool = False  # WHALE_SHARED_LOCAL_STORAGE: every run mounts this folder

    def create_io_manager(self, context) -> IOManager:
        check_local_storage_reaches_runs(context.instance, self.shared_local_storage)
        tables = DuckDBTableIOManager(self.database, self.schema_, self.connection_config)
        return with_fingerprints(tables, self.fingerprint_root)


def with_fingerprints(io_manager: IOManager, fingerprint_root: str | None) -> IOManager:
    """Wrap `io_manager` so partitions carry fingerprints (see storage/fingerprints.py).

    Also so that a store failing in a way retrying cannot fix fails the step at once.
    """
    if fingerprint_root is not None:
        io_manager = FingerprintedIOManager(io_manager, FingerprintRegistry(fingerprint_root))
    return FailuresClassifiedIOManager(io_manager)


class FailuresClassifiedIOManager(IOManager):
    """Lets only transient store errors (`io_rules.errors.is_transient`) reach a retry policy.

    A directory where the DuckDB file should be, a read-only or full data directory, a missing
    bucket or denied access: the step fails at once, without the retries' minutes of backoff.
    """

    WHAT_TO_DO = "check the data directory or bucket (WHALE_DATA_DIR, WHALE_S3_BUCKET); retrying will not help"

    def __init__(self, inner: IOManager) -> None:
        self.inner = inner

    def handle_output(self, context: OutputContext, obj) -> None:
        with self._classified("storing", context):
            self.inner.handle_output(context, obj)

    def load_input(self, context: InputContext):
        with self._classified("loading", context):
            return self.inner.load_input(context)

    @contextmanager
    def _classified(self, doing: str, context: OutputContext | InputContext) -> Iterator[None]:
        try:
            yield
        except Failure:
            raise
        except Exception as error:
            if is_transient(error):
                raise
            what = context.asset_key.to_user_string() if context.has_asset_key else "an output"
            if isinstance(context, OutputContext) and context.has_asset_partitions:  # an input may span days
                what += f" {context.asset_partition_key}"
            what_to_do = getattr(error, "what_to_do", None) or self.WHAT_TO_DO
            raise Failure(
                description=f"{doing} {what} failed: {type(error).__name__}: {error} — {what_to_do}",
                allow_retries=False,
            ) from error


def add_missing_columns(connection, table: str, frame: pd.DataFrame) -> list[str]:
    """Add to `table` the columns `frame` has and it lacks (a table made before they existed).

    Rows stored earlier get NULL there. Returns the added column names, in the frame's order.
    """
    existing = {row[0] for row in connection.execute(f"select * from {table} limit 0").description}
    frame_types = connection.execute("describe select * from frame").fetchall()  # (name, type, ...)
    added = []
    for name, column_type, *_ in frame_types:
        if name not in existing:
            quoted = '"' + name.replace('"', '""') + '"'
            connection.execute(f"alter table {table} add column if not exists {quoted} {column_type}")
            added.append(name)
    return added
