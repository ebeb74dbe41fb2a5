"""Tables as one Parquet object per daily partition: `<base>/<table>/date=<YYYY-MM-DD>/part-0.parquet`.

The S3-mode counterpart of the DuckDB tables. Each partition is serialised in memory (a table
partition is one row per encounter, kilobytes) and stored with one atomic operation that
replaces the old version: a single PUT on S3, a temporary file renamed over the old one locally.
A run killed while writing leaves the previous version (or nothing), never a mixture. Column
types come from `storage_types`, the same as the DuckDB tables, and an empty partition is still
written: a zero-row file that carries the schema.

No `from __future__ import annotations` here: Dagster reads the factory's field types at runtime.
"""

import pandas as pd
from dagster import (
    ConfigurableIOManagerFactory,
    InputContext,
    IOManager,
    MetadataValue,
    OutputContext,
)
from dagster_aws.s3 import S3Resource
from fsspec import AbstractFileSystem

from whale_assets.storage.layout import PARTITION_COLUMN, parquet_partition_path
from whale_assets.storage.metadata_keys import TABLE_NAME_KEY
from whale_assets.storage.parquet_files import read_parquet, write_parquet
from whale_assets.storage.s3 import filesystem
from whale_assets.storage.table_types import storage_types


class ParquetTableIOManager(IOManager):
    """Reads and writes table partitions under `root` on `fs` (local or s3fs)."""

    def __init__(self, fs: AbstractFileSystem, root: str, base_url: str) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.base_url = base_url.rstrip("/")

    # --- layout ---------------------------------------------------------------------------------

    def partition_path(self, table: str, column: str, partition_key: str | None) -> str:
        return parquet_partition_path(self.root, table, partition_key, column)

    def _url(self, path: str) -> str:
        return self.base_url + path[len(self.root) :]

    # --- Dagster --------------------------------------------------------------------------------

    def handle_output(self, context: OutputContext, obj: pd.DataFrame) -> None:
        if obj is None:
            return
        if not isinstance(obj, pd.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()}: tables are pandas DataFrames, got {type(obj)}")
        table = context.asset_key.path[-1]
        column = _partition_column(context.definition_metadata)
        frame = storage_types(obj)
        written = []
        for key, part in _split_by_partition(context, frame, column):
            path = self.partition_path(table, column, key)
            write_parquet(self.fs, path, part)
            written.append(path)
        # The row count and column schema come from the asset (assets/table_metadata.py); the
        # table name is the one `whale-assets sql` queries.
        context.add_output_metadata(
            {
                TABLE_NAME_KEY: table,
                "path": MetadataValue.path(self._url(written[0]))
                if len(written) == 1
                else f"{len(written)} partitions",
            }
        )

    def load_input(self, context: InputContext) -> pd.DataFrame:
        upstream = context.upstream_output
        asset_key = context.asset_key
        table = asset_key.path[-1]
        column = _partition_column(upstream.definition_metadata if upstream is not None else None)
        if context.has_asset_partitions:
            paths = [self.partition_path(table, column, key) for key in context.asset_partition_keys]
        else:
            paths = sorted(p for p in self.fs.find(f"{self.root}/{table}") if p.endswith(".parquet"))
        missing = [p for p in paths if not self.fs.exists(p)]
        if missing or not paths:
            where = self._url(missing[0]) if missing else self._url(f"{self.root}/{table}")
            raise FileNotFoundError(
                f"no stored table partition at {where}: materialize {asset_key.to_user_string()} first"
            )
        frames = [read_parquet(self.fs, path) for path in paths]
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


class ParquetTableStorage(ConfigurableIOManagerFactory):
    """Daily table partitions as Parquet under `base_path` (a local directory or s3://bucket/prefix).

    `s3` holds the S3 connection settings (endpoint, region, profile...); left unset, s3fs uses
    the standard AWS chain, exactly as boto3 would.
    """

    base_path: str
    s3: S3Resource | None = None
    fingerprint_root: str | None = None

    def create_io_manager(self, context) -> IOManager:
        fs, root = filesystem(self.base_path, self.s3)
        io_manager = ParquetTableIOManager(fs, root, self.base_path)
        if self.fingerprint_root is None:
            return io_manager
        from whale_assets.storage.io_managers import (
            with_fingerprints,  # the fingerprint wrapper
        )

        return with_fingerprints(io_manager, self.fingerprint_root)


def _partition_column(metadata) -> str:
    return str((metadata or {}).get("partition_expr", PARTITION_COLUMN))


def _split_by_partition(context: OutputContext, frame: pd.DataFrame, column: str):
    """(partition key, rows) per partition of the output; every key gets a file, empty or not."""
    if not context.has_asset_partitions:
        return [(None, frame)]
    keys = list(context.asset_partition_keys)
    if len(keys) == 1:
        return [(keys[0], frame)]
    if column not in frame.columns:
        raise ValueError(f"a multi-partition table output needs its partition column {column!r}")
    labels = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    return [(key, frame[labels == key].reset_index(drop=True)) for key in keys]
