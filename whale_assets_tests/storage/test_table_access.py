"""Read access to stored tables: the locked DuckDB file and the Parquet datasets behind SQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from whale_assets.storage.duckdb_files import (
    TablesUnavailable,
    connect_read_only,
    connect_read_only_waiting,
)
from whale_assets.storage.layout import parquet_day_path
from whale_assets.storage.parquet_files import (
    TablesUnreachable,
    connect_parquet_tables,
    parquet_table_datasets,
    write_parquet,
)
from whale_assets.storage.s3 import filesystem
from whale_assets.storage.table_types import storage_types

DAY = dt.date(2023, 9, 14)

_HOLD = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
connection.execute("create table if not exists t as select 1 as n")
print("locked", flush=True)
sys.stdin.readline()
connection.close()
"""


def hold_write_lock(path: Path) -> subprocess.Popen:
    """Another process with the DuckDB file open for writing, as a running materialization has it."""
    writer = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline().strip() == "locked"
    return writer


def release(writer: subprocess.Popen) -> None:
    writer.stdin.write("\n")
    writer.stdin.flush()
    writer.wait(timeout=30)


def test_a_file_being_written_is_unavailable_with_a_retry_message(tmp_path):
    database = tmp_path / "whale.duckdb"
    writer = hold_write_lock(database)
    try:
        with pytest.raises(TablesUnavailable, match="being written by a running materialization.*retry"):
            connect_read_only(database)
    finally:
        release(writer)
    connection = connect_read_only(database)
    assert connection.execute("select n from t").fetchall() == [(1,)]
    connection.close()


def test_a_waiting_reader_gets_in_once_the_writer_lets_go(tmp_path):
    database = tmp_path / "whale.duckdb"
    writer = hold_write_lock(database)
    threading.Timer(0.5, release, [writer]).start()
    connection = connect_read_only_waiting(database, waits_s=(0.25,) * 20)
    assert connection.execute("select n from t").fetchall() == [(1,)]
    connection.close()


def table_rows(day: dt.date, labels: list[str | None]) -> pd.DataFrame:
    return storage_types(pd.DataFrame({"date": pd.Timestamp(day), "label": pd.Series(labels, dtype=object)}))


def test_each_table_directory_is_one_dataset_queryable_by_duckdb(tmp_path):
    fs, root = filesystem(str(tmp_path / "tables"))
    write_parquet(fs, parquet_day_path(root, "encounters", DAY), table_rows(DAY, ["a", "b"]))
    write_parquet(fs, parquet_day_path(root, "encounters", DAY + dt.timedelta(days=1)), table_rows(DAY, [None]))
    write_parquet(fs, parquet_day_path(root, "whale_results", DAY), table_rows(DAY, ["c"]))
    datasets = parquet_table_datasets(str(tmp_path / "tables"))
    assert sorted(datasets) == ["encounters", "whale_results"]
    connection = connect_parquet_tables(datasets)
    try:
        counts = connection.sql("select count(*), count(label) from encounters").fetchall()
        kind = connection.sql("select typeof(date) from whale_results").fetchall()[0][0]
    finally:
        connection.close()
    assert counts == [(3, 2)] and kind.startswith("TIMESTAMP")
    assert not [p for p in fs.find(root) if p.endswith(".tmp")]


def test_no_tables_is_an_empty_mapping_and_an_unreachable_store_says_what_failed(tmp_path, monkeypatch):
    assert parquet_table_datasets(str(tmp_path / "nothing")) == {}
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    with pytest.raises(TablesUnreachable, match="cannot list s3://whale-results/tables") as raised:
        parquet_table_datasets("s3://whale-results/tables")
    assert "testing" not in str(raised.value)
    assert isinstance(raised.value, TablesUnavailable) and not isinstance(raised.value, duckdb.Error)


def test_a_whole_parquet_table_reads_every_day_and_only_that_table(tmp_path):
    from whale_assets.storage.parquet_files import read_parquet_table

    fs, root = filesystem(str(tmp_path / "tables"))
    for day in (DAY, DAY + dt.timedelta(days=2)):
        write_parquet(
            fs, parquet_day_path(root, "hourly_presence", day), pd.DataFrame({"date": [pd.Timestamp(day)] * 2})
        )
    write_parquet(fs, parquet_day_path(root, "other", DAY), pd.DataFrame({"x": [1]}))
    table = read_parquet_table(str(tmp_path / "tables"), "hourly_presence")
    assert list(table.columns) == ["date"] and len(table) == 4
    assert read_parquet_table(str(tmp_path / "tables"), "missing") is None


def test_a_whole_duckdb_table_reads_every_day_or_none_without_it(tmp_path):
    from whale_assets.storage.duckdb_files import read_duckdb_table
    from whale_assets.storage.layout import DUCKDB_SCHEMA

    database = tmp_path / "whale.duckdb"
    assert read_duckdb_table(database, "hourly_presence") is None
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"create schema if not exists {DUCKDB_SCHEMA}")
        connection.execute(f'create table {DUCKDB_SCHEMA}."hourly_presence" as select range as n from range(3)')
    assert list(read_duckdb_table(database, "hourly_presence")["n"]) == [0, 1, 2]
    assert read_duckdb_table(database, "missing") is None
