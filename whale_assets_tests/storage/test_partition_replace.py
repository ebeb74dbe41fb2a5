"""Replacing a stored day in DuckDB is one transaction: a write that fails keeps the old rows."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from dagster import DailyPartitionsDefinition, asset, materialize

from whale_assets.storage.io_managers import WhaleDuckDBIOManager

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

partitions = DailyPartitionsDefinition(start_date="2023-09-01", timezone="UTC")
DAY = "2023-09-14"


def write_day(database: str, frame: pd.DataFrame, day: str = DAY) -> bool:
    @asset(name="encounters", partitions_def=partitions, io_manager_key="tables", metadata={"partition_expr": "date"})
    def encounters() -> pd.DataFrame:
        return frame

    io_manager = WhaleDuckDBIOManager(database=database, schema="main")
    return materialize([encounters], partition_key=day, resources={"tables": io_manager}, raise_on_error=False).success


def stored(database: str) -> list[tuple]:
    with duckdb.connect(database, read_only=True) as connection:
        return connection.execute(
            "select date::date::varchar, encounter_id, start_utc::varchar from encounters order by 1, 2"
        ).fetchall()


def rows(day: str, ids: list[str], start_utc) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.Timestamp(day), "encounter_id": ids, "start_utc": start_utc})


def test_a_write_whose_insert_fails_keeps_the_days_stored_rows(tmp_path):
    database = str(tmp_path / "whale.duckdb")
    assert write_day(database, rows(DAY, ["e1", "e2"], pd.Timestamp(f"{DAY} 10:00")))
    before = stored(database)
    assert len(before) == 2

    # A drifted column type: text where the table holds a TIMESTAMP, so the insert fails.
    assert not write_day(database, rows(DAY, ["e3"], "not a time"))

    assert stored(database) == before


def test_a_successful_write_replaces_only_its_own_day(tmp_path):
    database = str(tmp_path / "whale.duckdb")
    assert write_day(database, rows(DAY, ["e1", "e2"], pd.Timestamp(f"{DAY} 10:00")))
    assert write_day(database, rows("2023-09-15", ["f1"], pd.Timestamp("2023-09-15 11:00")), day="2023-09-15")
    assert write_day(database, rows(DAY, ["e3"], pd.Timestamp(f"{DAY} 12:00")))
    assert stored(database) == [
        ("2023-09-14", "e3", "2023-09-14 12:00:00"),
        ("2023-09-15", "f1", "2023-09-15 11:00:00"),
    ]
