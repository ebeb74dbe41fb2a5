"""Dagster IO managers: window arrays as `.npy` partitions, tables in DuckDB."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

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

# dagster 1.13 exports these nowhere public; dagster-duckdb imports them from here too. At
# runtime only DbIOManager is needed, to build it with our client as DuckDBIOManager builds it.
from dagster._core.storage.db_io_manager import DbIOManager
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb.io_manager import DuckDbClient
from dagster_duckdb_pandas import DuckDBPandasTypeHandler
from upath import UPath

from whale_assets.core.windows import WindowStatus
from whale_assets.sources.errors import is_duckdb_lock, is_transient
from whale_assets.storage.files import confined
from whale_assets.storage.fingerprints import (
    FingerprintedIOManager,
    FingerprintRegistry,
)
from whale_assets.storage.metadata_keys import (
    INCOMPLETE_KEY,
    STORED_BYTES_KEY,
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

if TYPE_CHECKING:
    from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice


# Another process writing or reading the DuckDB file holds its lock for seconds: as long as
# dagster-duckdb waited (0.1 s doubling, ~100 s in all), but only for a lock.
WRITER_LOCK_WAITS_S = tuple(0.1 * 2**n for n in range(10))


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


class StableTypesPandasHandler(DuckDBPandasTypeHandler):
    """Replaces a partition in one transaction, empty ones included, with column types that never drift.

    The stock handler skips empty frames, so a day without encounters would leave no table for
    downstream reads and SQL; and an all-null text column would be typed NULL by DuckDB.
    The delete of the old rows happens here, inside the transaction (`ReplacingDuckDbClient`
    skips the IO manager's own, separately committed delete), so an insert that fails (a drifted
    column type, a killed process) leaves the stored day as it was instead of empty.
    """

    def handle_output(
        self, context: OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> None:
        frame = storage_types(obj)
        table = f"{table_slice.schema}.{table_slice.table}"
        connection.execute("begin transaction")
        try:
            connection.execute(f"create table if not exists {table} as select * from frame limit 0")
            add_missing_columns(connection, table, frame)
            DuckDbClient.delete_table_slice(context, table_slice, connection)  # the stock delete
            connection.execute(f"insert into {table} by name select * from frame")
            connection.execute("commit")
        except BaseException:
            connection.execute("rollback")
            raise
        context.add_output_metadata({"partition_row_count": len(frame), "storage_kind": "duckdb"})


class ReplacingDuckDbClient(DuckDbClient):
    """dagster-duckdb's client, leaving the delete to the handler's transaction and always closing."""

    @staticmethod
    def delete_table_slice(context: OutputContext, table_slice: TableSlice, connection) -> None:
        """Nothing: `StableTypesPandasHandler` deletes and inserts in one transaction."""

    @staticmethod
    @contextmanager
    def connect(context, table_slice) -> Iterator:
        # The stock client retries every IOException for ~100 s (a directory or an unwritable
        # path where the file should be included), and closes only when the block succeeds, so
        # a failed write kept the file open and locked until garbage collection.
        config = {"custom_user_agent": "dagster", **context.resource_config["connection_config"]}
        connection = connect_writer(context.resource_config["database"], config)
        try:
            yield connection
        finally:
            connection.close()


def connect_writer(database: str, config: dict, waits_s: Sequence[float] = WRITER_LOCK_WAITS_S) -> duckdb.DuckDBPyConnection:
    """A read-write connection, waiting out (only) another process's lock on the file."""
    for wait_s in waits_s:
        try:
            return duckdb.connect(database, read_only=False, config=config)
        except duckdb.IOException as error:
            if not is_duckdb_lock(error):
                raise
            time.sleep(wait_s)
    return duckdb.connect(database, read_only=False, config=config)


class WhaleDuckDBIOManager(DuckDBIOManager):
    """dagster-duckdb's IO manager with the stable-types pandas handler, replacing partitions atomically."""

    fingerprint_root: str | None = None
    shared_local_storage: bool = False  # WHALE_SHARED_LOCAL_STORAGE: every run mounts this folder

    def create_io_manager(self, context) -> IOManager:
        check_local_storage_reaches_runs(context.instance, self.shared_local_storage)
        tables = DbIOManager(
            db_client=ReplacingDuckDbClient(),
            database=self.database,
            schema=self.schema_,
            type_handlers=self.type_handlers(),
            default_load_type=self.default_load_type(),
            io_manager_name="DuckDBIOManager",
        )
        return with_fingerprints(tables, self.fingerprint_root)

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [StableTypesPandasHandler()]

    @staticmethod
    def default_load_type() -> type:
        return pd.DataFrame


def with_fingerprints(io_manager: IOManager, fingerprint_root: str | None) -> IOManager:
    """Wrap `io_manager` so partitions carry fingerprints (see storage/fingerprints.py).

    Also so that a store failing in a way retrying cannot fix fails the step at once.
    """
    if fingerprint_root is not None:
        io_manager = FingerprintedIOManager(io_manager, FingerprintRegistry(fingerprint_root))
    return FailuresClassifiedIOManager(io_manager)


class FailuresClassifiedIOManager(IOManager):
    """Lets only transient store errors (`sources.errors.is_transient`) reach a retry policy.

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
