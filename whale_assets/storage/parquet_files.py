"""Parquet objects of the S3-mode tables: one partition read or written, every table as a dataset.

The datasets are pyarrow datasets over s3fs, so DuckDB can query them without its httpfs extension
(which it would download from the internet), and the `date` column comes from the files
themselves (a TIMESTAMP, as in the DuckDB file), not from the `date=` directory names.
"""

from __future__ import annotations

import datetime as dt
import io
import os

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from fsspec import AbstractFileSystem
from pyarrow.fs import FSSpecHandler, PyFileSystem

from whale_assets.storage.duckdb_files import TablesUnavailable
from whale_assets.storage.files import is_local_fs, replace_file
from whale_assets.storage.layout import parquet_day_path
from whale_assets.storage.s3 import filesystem


class TablesUnreachable(TablesUnavailable):
    """Listing the tables failed (endpoint, bucket or credentials); the message names the error."""


def write_parquet(fs: AbstractFileSystem, path: str, frame: pd.DataFrame) -> None:
    """Replace `path` with `frame` as Parquet in one atomic step (single PUT, or temp + rename).

    Serialised in memory first: a table partition is one row per encounter or window, megabytes
    at most.
    """
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer, compression="zstd")
    if is_local_fs(fs):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    replace_file(fs, path, buffer.getvalue())


def read_parquet(fs: AbstractFileSystem, path: str) -> pd.DataFrame:
    with fs.open(path, "rb") as stream:
        return pq.read_table(stream).to_pandas()


def read_parquet_day(tables_url: str, table: str, day: dt.date) -> pd.DataFrame | None:
    """The day's partition object of `table` under `tables_url`, or None if it is absent."""
    fs, root = filesystem(tables_url)
    path = parquet_day_path(root, table, day)
    return read_parquet(fs, path) if fs.exists(path) else None


def parquet_table_datasets(tables_url: str) -> dict[str, ds.Dataset]:
    """One pyarrow dataset per table directory under `tables_url` (s3://... or a local folder).

    Empty when there are no tables; `TablesUnreachable` when the location cannot be listed.
    """
    try:
        fs, root = filesystem(tables_url)
        files = sorted(path for path in fs.find(root) if path.endswith(".parquet"))
    except FileNotFoundError:
        return {}
    except Exception as error:  # botocore and aiohttp errors carry no credentials, only what failed
        raise TablesUnreachable(f"cannot list {tables_url} ({type(error).__name__}: {error})") from error
    by_table: dict[str, list[str]] = {}
    for path in files:
        table = path[len(root) :].strip("/").split("/", 1)[0]
        by_table.setdefault(table, []).append(path)
    arrow_fs = PyFileSystem(FSSpecHandler(fs))
    datasets = {}
    for table, paths in by_table.items():
        dataset = ds.dataset(paths, format="parquet", filesystem=arrow_fs, partitioning=None)
        schemas = [fragment.physical_schema for fragment in dataset.get_fragments()]
        if any(not schema.equals(schemas[0]) for schema in schemas[1:]):
            # Types are stable by construction; this only tolerates files from older versions.
            unified = pa.unify_schemas(schemas, promote_options="permissive")
            dataset = ds.dataset(paths, schema=unified, format="parquet", filesystem=arrow_fs, partitioning=None)
        datasets[table] = dataset
    return datasets


def connect_parquet_tables(datasets: dict[str, ds.Dataset]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with one view per table, read from its dataset."""
    connection = duckdb.connect(":memory:")
    try:
        for name, dataset in datasets.items():
            connection.register(name, dataset)
    except BaseException:
        connection.close()
        raise
    return connection


def read_parquet_table(tables_url: str, table: str) -> pd.DataFrame | None:
    """Every stored partition of `table` under `tables_url` (only its folder is listed), or None."""
    fs, root = filesystem(tables_url)
    try:
        paths = sorted(path for path in fs.find(f"{root}/{table}") if path.endswith(".parquet"))
    except FileNotFoundError:
        return None
    frames = [read_parquet(fs, path) for path in paths]
    return pd.concat(frames, ignore_index=True) if frames else None
