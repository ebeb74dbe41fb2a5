"""Read one day of a stored table outside the IO managers: the DuckDB file or a Parquet partition.

For assets that use a table without declaring it as an input (so it does not join their job),
such as `classifications` taking its scores from `daily_scores`. The connection and file code
is the SQL command's (`results_sql`) and the Parquet IO manager's, not a copy of it.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd

from whale_assets.results_sql import ResultsUnavailable, connect_read_only

# A run writing the DuckDB file holds it for seconds: wait that out rather than fail the asset.
LOCK_WAITS_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


def read_duckdb_day(database: Path, table: str, day: dt.date) -> pd.DataFrame | None:
    """The table's rows for `day`, or None when none are stored (no file, no table or no rows).

    DuckDB keeps nothing for a day written with zero rows, so such a day also reads as None.
    """
    if not database.exists():
        return None
    connection = _connect_waiting(database)
    try:
        known = connection.execute(
            "select 1 from information_schema.tables where table_schema = 'main' and table_name = ?", [table]
        ).fetchall()
        if not known:
            return None
        # The name is one of our asset names, never user input; the day is a bound parameter.
        rows = connection.execute(f'select * from main."{table}" where "date" = ?', [day]).df()
    finally:
        connection.close()
    return rows if len(rows) else None


def read_parquet_day(tables_url: str, table: str, day: dt.date) -> pd.DataFrame | None:
    """The partition object `<tables_url>/<table>/date=<day>/part-0.parquet`, or None if absent."""
    # Imported here: dagster-aws and s3fs are needed only in S3 mode.
    from whale_assets.storage.parquet_tables import DEFAULT_PARTITION_COLUMN, ParquetTableIOManager, read_parquet
    from whale_assets.storage.s3 import filesystem

    fs, root = filesystem(tables_url)
    layout = ParquetTableIOManager(fs, root, tables_url)
    path = layout.partition_path(table, DEFAULT_PARTITION_COLUMN, day.isoformat())
    return read_parquet(fs, path) if fs.exists(path) else None


def _connect_waiting(database: Path):
    for wait_s in LOCK_WAITS_S:
        try:
            return connect_read_only(database)
        except ResultsUnavailable:
            time.sleep(wait_s)
    return connect_read_only(database)  # still locked: its error says so
