"""Read-only SQL over the results: the DuckDB file (local storage) or the Parquet partitions on S3.

In S3 mode an in-memory DuckDB gets one view per table under `<root>/tables/`, each an Arrow
dataset over the table's Parquet objects read through s3fs. Nothing needs DuckDB's httpfs
extension (which DuckDB would download from the internet), and the `date` column comes from the
files themselves (a TIMESTAMP, as in the DuckDB file), not from the `date=` directory names.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from whale_assets.settings import Settings, SettingsError

STORAGE_VARIABLES = ("WHALE_DATA_DIR", "WHALE_STORAGE", "WHALE_S3_BUCKET", "WHALE_S3_PREFIX")


class ResultsUnavailable(RuntimeError):
    """The query cannot be answered now; the message says why and what to do."""


def run_query(
    query: str, database: str | Path | None = None, env: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Run `query` over the results tables; `database` names a DuckDB file and skips the lookup."""
    if database:
        return _query_duckdb_file(query, Path(database))
    settings = storage_settings(env)
    if settings.storage == "s3":
        return _query_parquet_tables(query, f"{settings.storage_root}/tables")
    return _query_duckdb_file(query, settings.database)


def storage_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Where the results are, from the storage variables alone (the sources don't matter here)."""
    env = os.environ if env is None else env
    try:
        return Settings.from_env({name: env[name] for name in STORAGE_VARIABLES if name in env})
    except SettingsError as error:
        raise ResultsUnavailable(str(error)) from error


def _query_duckdb_file(query: str, path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ResultsUnavailable(
            f"no results database at {path}: materialize whale_results first (in the Dagster UI; `make demo` "
            "writes its own to demo-data/data, so WHALE_DATA_DIR=demo-data/data for its results), "
            "or point WHALE_DATA_DIR at the folder that holds whale.duckdb"
        )
    return _run(connect_read_only(path), query)


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the DuckDB file; `ResultsUnavailable` while a run writes to it."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as locked:
        raise ResultsUnavailable(
            f"{path} is being written by a running materialization ({locked}); retry in a few seconds"
        ) from locked


def _query_parquet_tables(query: str, tables_url: str) -> pd.DataFrame:
    connection = duckdb.connect(":memory:")
    try:
        for name, dataset in parquet_table_datasets(tables_url).items():
            connection.register(name, dataset)
    except BaseException:
        connection.close()
        raise
    return _run(connection, query)


def parquet_table_datasets(tables_url: str) -> dict[str, object]:
    """One pyarrow dataset per table directory under `tables_url` (s3://... or a local folder)."""
    import pyarrow as pa
    import pyarrow.dataset as ds
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    from whale_assets.storage.s3 import filesystem

    try:
        fs, root = filesystem(tables_url)
        files = sorted(path for path in fs.find(root) if path.endswith(".parquet"))
    except FileNotFoundError:
        files = []
    except Exception as error:  # botocore and aiohttp errors carry no credentials, only what failed
        raise ResultsUnavailable(
            f"cannot list {tables_url} ({type(error).__name__}: {error}); check WHALE_S3_BUCKET, "
            "WHALE_S3_PREFIX and the AWS endpoint and credentials (AWS_ENDPOINT_URL_S3, AWS_PROFILE, ...)"
        ) from error
    by_table: dict[str, list[str]] = {}
    for path in files:
        table = path[len(root) :].strip("/").split("/", 1)[0]
        by_table.setdefault(table, []).append(path)
    if not by_table:
        raise ResultsUnavailable(
            f"no results tables under {tables_url}: materialize whale_results first (the Dagster UI), "
            "or check WHALE_S3_BUCKET and WHALE_S3_PREFIX"
        )
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


def _run(connection: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    try:
        relation = connection.sql(query)
        return relation.df() if relation is not None else pd.DataFrame()
    except duckdb.Error as error:
        raise ResultsUnavailable(f"query failed: {error}") from error
    finally:
        connection.close()
