"""Read-only access to the local DuckDB file, which a running materialization may hold locked."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from whale_assets.storage.layout import DUCKDB_SCHEMA, PARTITION_COLUMN, duckdb_table

# A run writing the DuckDB file holds it for seconds: wait that out rather than fail an asset.
LOCK_WAITS_S = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)


class TablesUnavailable(RuntimeError):
    """The stored tables cannot be read now; the message says why and what to do."""


def connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the DuckDB file; `TablesUnavailable` while a run writes to it."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.IOException as locked:
        raise TablesUnavailable(
            f"{path} is being written by a running materialization ({locked}); retry in a few seconds"
        ) from locked


def deny_external_access(connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Lock `connection` to what it already has: no files, extensions, other databases or settings.

    For connections that run someone's query: a read-only database still lets `copy ... to`,
    `read_csv('/etc/...')`, `install`/`load` and `attach` reach the file system and network.
    Call it after every table is attached or registered (Arrow datasets stay readable).
    """
    connection.execute("set enable_external_access = false")
    connection.execute("set lock_configuration = true")
    return connection


def connect_read_only_waiting(path: Path, waits_s: Sequence[float] = LOCK_WAITS_S) -> duckdb.DuckDBPyConnection:
    """`connect_read_only`, retried after each of `waits_s` while the file is locked."""
    for wait_s in waits_s:
        try:
            return connect_read_only(path)
        except TablesUnavailable:
            time.sleep(wait_s)
    return connect_read_only(path)  # still locked: its error says so


def read_duckdb_day(database: Path, table: str, day: dt.date) -> pd.DataFrame | None:
    """The table's rows for `day`, or None when none are stored (no file, no table or no rows).

    DuckDB keeps nothing for a day written with zero rows, so such a day also reads as None.
    """
    if not database.exists():
        return None
    connection = connect_read_only_waiting(database)
    try:
        if not _has_table(connection, table):
            return None
        # The day is a bound parameter; the table is one of our asset names.
        rows = connection.execute(f'select * from {duckdb_table(table)} where "{PARTITION_COLUMN}" = ?', [day]).df()
    finally:
        connection.close()
    return rows if len(rows) else None


def read_duckdb_table(database: Path, table: str) -> pd.DataFrame | None:
    """Every stored row of `table`, or None when there is no file or no such table."""
    if not database.exists():
        return None
    connection = connect_read_only_waiting(database)
    try:
        return (
            connection.execute(f"select * from {duckdb_table(table)}").df() if _has_table(connection, table) else None
        )
    finally:
        connection.close()


def _has_table(connection: duckdb.DuckDBPyConnection, table: str) -> bool:
    query = "select 1 from information_schema.tables where table_schema = ? and table_name = ?"
    return bool(connection.execute(query, [DUCKDB_SCHEMA, table]).fetchall())
