"""Where the stored partition of asset A for UTC day D lives, in each storage mode.

- tables, local storage: one DuckDB file, table `main."A"`, the rows whose `date` column is D;
- tables, S3 storage: one Parquet object, `<root>/tables/A/date=D/part-0.parquet`;
- window arrays, both modes: the directory `<root>/A/D/` (an `index.json` and its `.npy` files);
- score checkpoints of an unfinished day: `<root>/checkpoints/daily_scores/D/<fingerprint>/`
  (`storage/score_checkpoints.py`).

`<root>` is the storage root: the data directory, or s3://bucket/prefix.
"""

from __future__ import annotations

import datetime as dt

from upath import UPath

DUCKDB_SCHEMA = "main"
PARTITION_COLUMN = "date"
TABLES_DIR = "tables"
PART_NAME = "part-0.parquet"


def tables_url(storage_root: str) -> str:
    """The folder (or S3 prefix) holding every Parquet table."""
    return f"{storage_root.rstrip('/')}/{TABLES_DIR}"


def parquet_partition_path(
    tables_root: str, table: str, partition_key: str | None, column: str = PARTITION_COLUMN
) -> str:
    """The Parquet object of one partition (or of an unpartitioned table when `partition_key` is None)."""
    if partition_key is None:
        return f"{tables_root.rstrip('/')}/{table}/{PART_NAME}"
    return f"{tables_root.rstrip('/')}/{table}/{column}={partition_key}/{PART_NAME}"


def parquet_day_path(tables_root: str, table: str, day: dt.date) -> str:
    return parquet_partition_path(tables_root, table, day.isoformat())


def duckdb_table(table: str) -> str:
    """The quoted DuckDB name of a table (asset names only, never user input)."""
    return f'{DUCKDB_SCHEMA}."{table}"'


def array_partition_path(storage_root: str | UPath, asset: str, day: dt.date) -> UPath:
    """The directory of one day's window arrays (what the window-array IO manager writes)."""
    return UPath(storage_root) / asset / day.isoformat()
