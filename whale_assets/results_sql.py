"""Read-only SQL over the results: the DuckDB file (local storage) or the Parquet partitions on S3.

The query runs on a connection locked to the results tables (`deny_external_access`): it can
neither read nor write files, load extensions or attach databases.

Where the tables are and how they are opened is storage's (`storage/duckdb_files.py`,
`storage/parquet_files.py`); this module picks the location from the settings, runs the query
and words the errors for the person at the command line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from whale_assets.settings import Settings, SettingsError
from whale_assets.storage.duckdb_files import (
    TablesUnavailable,
    connect_read_only,
    deny_external_access,
)
from whale_assets.storage.layout import tables_url

SANDBOX_NOTE = (
    "the sql command reads only the results tables: files, extensions, other databases and settings "
    "are not accessible from it"
)
STORAGE_VARIABLES = ("WHALE_DATA_DIR", "WHALE_STORAGE", "WHALE_S3_BUCKET", "WHALE_S3_PREFIX")

# The command's name for storage's error: the query cannot be answered now, the message says why.
ResultsUnavailable = TablesUnavailable


def run_query(query: str, database: str | Path | None = None, env: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Run `query` over the results tables; `database` names a DuckDB file and skips the lookup."""
    if database:
        return _query_duckdb_file(query, Path(database))
    settings = storage_settings(env)
    if settings.storage == "s3":
        return _query_parquet_tables(query, tables_url(settings.storage_root))
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


def _query_parquet_tables(query: str, url: str) -> pd.DataFrame:
    # Imported here: pyarrow, s3fs and dagster-aws are needed only in S3 mode.
    from whale_assets.storage.parquet_files import (
        TablesUnreachable,
        connect_parquet_tables,
        parquet_table_datasets,
    )

    try:
        datasets = parquet_table_datasets(url)
    except TablesUnreachable as error:
        raise ResultsUnavailable(
            f"{error}; check WHALE_S3_BUCKET, WHALE_S3_PREFIX and the AWS endpoint and credentials "
            "(AWS_ENDPOINT_URL_S3, AWS_PROFILE, ...)"
        ) from error
    if not datasets:
        raise ResultsUnavailable(
            f"no results tables under {url}: materialize whale_results first (the Dagster UI), "
            "or check WHALE_S3_BUCKET and WHALE_S3_PREFIX"
        )
    return _run(connect_parquet_tables(datasets), query)


def _run(connection: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    try:
        deny_external_access(connection)
        relation = connection.sql(query)
        return relation.df() if relation is not None else pd.DataFrame()
    except duckdb.Error as error:
        refused = isinstance(error, duckdb.PermissionException) or any(
            phrase in str(error) for phrase in ("external access", "configuration has been locked")
        )
        raise ResultsUnavailable(f"query failed: {error}" + (f" ({SANDBOX_NOTE})" if refused else "")) from error
    finally:
        connection.close()
