"""Dagster IO managers: window arrays as `.npy` partitions, tables in DuckDB."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd
from dagster import (
    ConfigurableIOManagerFactory,
    InputContext,
    IOManager,
    OutputContext,
    UPathIOManager,
)
from dagster_duckdb import DuckDBIOManager
from dagster_duckdb_pandas import DuckDBPandasTypeHandler
from upath import UPath

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
from whale_assets.storage.table_types import storage_types
from whale_assets.storage.window_arrays import (
    StoredWindows,
    WindowArrays,
    read_partition,
    status_counts,
    write_partition,
)

if TYPE_CHECKING:
    # Annotations only: dagster 1.13 exports these nowhere public (dagster-duckdb imports them
    # from here too), so nothing at runtime depends on the private path.
    from dagster._core.storage.db_io_manager import DbTypeHandler, TableSlice


class WindowArrayIOManager(UPathIOManager):
    """Each partition is a directory `<base>/<asset>/<YYYY-MM-DD>/` of `.npy` files and an index."""

    extension = ""

    def dump_to_path(self, context: OutputContext, obj: WindowArrays, path: UPath) -> None:
        stored = write_partition(path, obj)
        context.add_output_metadata(
            {
                WINDOWS_KEY: len(stored),
                **{windows_with_status_key(s): n for s, n in sorted(status_counts(stored).items())},
                STORED_BYTES_KEY: sum(r.array.nbytes for r in stored if r.array is not None),
                # Known only now that every window has been produced (see WindowArrays.incomplete).
                **({INCOMPLETE_KEY: True} if obj.incomplete else {}),
            }
        )

    def load_from_path(self, context: InputContext, path: UPath) -> StoredWindows:
        return read_partition(path)


class WindowArrayStorage(ConfigurableIOManagerFactory):
    """Window arrays under `base_path` (a local directory, or an fsspec URL such as s3://...)."""

    base_path: str
    fingerprint_root: str | None = None

    def create_io_manager(self, context) -> IOManager:
        return with_fingerprints(WindowArrayIOManager(base_path=UPath(self.base_path)), self.fingerprint_root)


class StableTypesPandasHandler(DuckDBPandasTypeHandler):
    """Writes every partition, empty ones included, with column types that never drift.

    The stock handler skips empty frames, so a day without encounters would leave no table for
    downstream reads and SQL; and an all-null text column would be typed NULL by DuckDB.
    """

    def handle_output(
        self, context: OutputContext, table_slice: TableSlice, obj: pd.DataFrame, connection
    ) -> None:
        frame = storage_types(obj)
        table = f"{table_slice.schema}.{table_slice.table}"
        connection.execute(f"create table if not exists {table} as select * from frame limit 0")
        add_missing_columns(connection, table, frame)
        connection.execute(f"insert into {table} by name select * from frame")
        context.add_output_metadata({"partition_row_count": len(frame), "storage_kind": "duckdb"})


class WhaleDuckDBIOManager(DuckDBIOManager):
    """dagster-duckdb's IO manager with the stable-types pandas handler."""

    fingerprint_root: str | None = None

    def create_io_manager(self, context) -> IOManager:
        return with_fingerprints(super().create_io_manager(context), self.fingerprint_root)

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        return [StableTypesPandasHandler()]

    @staticmethod
    def default_load_type() -> type:
        return pd.DataFrame


def with_fingerprints(io_manager: IOManager, fingerprint_root: str | None) -> IOManager:
    """Wrap `io_manager` so partitions carry fingerprints (see storage/fingerprints.py)."""
    if fingerprint_root is None:
        return io_manager
    return FingerprintedIOManager(io_manager, FingerprintRegistry(fingerprint_root))


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
