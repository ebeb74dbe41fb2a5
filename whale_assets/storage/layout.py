"""Where the stored partition of asset A for UTC day D lives, in each storage mode.

- tables, local storage: one DuckDB file, table `main."A"`, the rows whose `date` column is D;
- tables, S3 storage: one Parquet object, `<root>/tables/A/date=D/part-0.parquet`;
- window arrays, both modes: the directory `<root>/A/D/` (an `index.json` and its `.npy` files);
- score checkpoints of an unfinished day: `<root>/checkpoints/daily_scores/D/<fingerprint>/`
  (`storage/score_checkpoints.py`);
- each partition's fingerprint: `<root>/_fingerprints/A/D.json` (`storage/fingerprints.py`);
- the files the tables name or the deliverables are: one folder each (`FILE_STORES`).

`<root>` is the storage root: the data directory, or s3://bucket/prefix. Every folder under it is
named here, and nowhere else.
"""

from __future__ import annotations

import datetime as dt

from upath import UPath

DUCKDB_SCHEMA = "main"
PARTITION_COLUMN = "date"
PART_NAME = "part-0.parquet"

# The folders under the storage root.
TABLES_DIR = "tables"  # Parquet tables (S3 storage)
FINGERPRINTS_DIR = "_fingerprints"
IMAGES_DIR = "images"  # whale_results' spectrograms, a folder per day
CHECKPOINTS_DIR = "checkpoints"  # daily_scores' finished chunks of an unfinished day
RAVEN_DIR = "raven"  # Raven selection tables, a folder per day
CLIPS_DIR = "clips"  # encounter clips (archival and listening FLAC), a folder per day
REPORTS_DIR = "reports"  # figures over many days (diel presence, detector performance)
REVIEWS_DIR = "reviews"  # analysts' reviewed tables, unless WHALE_REVIEWS_DIR puts them elsewhere
# The file-store resources the assets write through, by resource name: each its own folder.
FILE_STORES = {
    "images": IMAGES_DIR,
    "checkpoints": CHECKPOINTS_DIR,
    "raven": RAVEN_DIR,
    "clips": CLIPS_DIR,
    "reports": REPORTS_DIR,
}


def under_root(storage_root: str, folder: str) -> str:
    """The folder (or S3 prefix) `folder` of the storage root."""
    return f"{storage_root.rstrip('/')}/{folder}"


def tables_url(storage_root: str) -> str:
    """The folder (or S3 prefix) holding every Parquet table."""
    return under_root(storage_root, TABLES_DIR)


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
