"""DuckDB tables made before a column existed still take the partitions that carry it."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import DailyPartitionsDefinition, asset, materialize

from whale_assets.storage.io_managers import (
    WhaleDuckDBIOManager,
    add_missing_columns,
    storage_types,
)

partitions = DailyPartitionsDefinition(start_date="2023-09-01", timezone="UTC")


def encounter_rows(day: str, with_flag: bool) -> pd.DataFrame:
    frame = pd.DataFrame({"date": pd.Timestamp(day), "encounter_id": ["e1", "e2"], "start_utc": pd.Timestamp(day)})
    return frame.assign(timezone_suspect=[True, False]) if with_flag else frame


def test_missing_columns_are_added_with_the_frames_types_and_null_for_old_rows():
    with duckdb.connect() as connection:
        connection.register("old_rows", storage_types(encounter_rows("2023-09-14", with_flag=False)))
        connection.execute("create table encounters as select * from old_rows")
        frame = storage_types(encounter_rows("2023-09-15", with_flag=True))
        assert add_missing_columns(connection, "encounters", frame) == ["timezone_suspect"]
        assert add_missing_columns(connection, "encounters", frame) == []  # nothing left to add
        connection.execute("insert into encounters by name select * from frame")
        types = dict(
            connection.execute(
                "select column_name, data_type from duckdb_columns() where table_name = 'encounters'"
            ).fetchall()
        )
        assert types["timezone_suspect"] == "BOOLEAN"
        rows = connection.execute(
            "select encounter_id, date::date::varchar, timezone_suspect from encounters order by 2, 1"
        ).fetchall()
        assert rows == [
            ("e1", "2023-09-14", None),
            ("e2", "2023-09-14", None),
            ("e1", "2023-09-15", True),
            ("e2", "2023-09-15", False),
        ]


def test_the_io_manager_writes_a_new_column_into_a_table_stored_without_it(tmp_path):
    io_manager = WhaleDuckDBIOManager(database=str(tmp_path / "whale.duckdb"), schema="main")
    for day, with_flag in (("2023-09-14", False), ("2023-09-15", True)):

        @asset(
            name="encounters", partitions_def=partitions, io_manager_key="tables", metadata={"partition_expr": "date"}
        )
        def encounters() -> pd.DataFrame:
            return encounter_rows(day, with_flag)  # noqa: B023 - materialized before the loop moves on

        assert materialize([encounters], partition_key=day, resources={"tables": io_manager}).success
    with duckdb.connect(str(tmp_path / "whale.duckdb"), read_only=True) as connection:
        flags = connection.execute(
            "select date::date::varchar, timezone_suspect from encounters order by 1, encounter_id"
        ).fetchall()
    assert flags == [("2023-09-14", None), ("2023-09-14", None), ("2023-09-15", True), ("2023-09-15", False)]


def test_an_unpartitioned_table_is_replaced_whole_so_a_renamed_column_leaves_nothing_behind(tmp_path):
    io_manager = WhaleDuckDBIOManager(database=str(tmp_path / "whale.duckdb"), schema="main")
    for frame in (pd.DataFrame({"kind": ["bin"], "true": [3]}), pd.DataFrame({"kind": ["bin"], "n_true": [4]})):

        @asset(name="detector_performance", io_manager_key="tables")
        def detector_performance() -> pd.DataFrame:
            return frame  # noqa: B023 - materialized before the loop moves on

        assert materialize([detector_performance], resources={"tables": io_manager}).success
    with duckdb.connect(str(tmp_path / "whale.duckdb"), read_only=True) as connection:
        stored = connection.execute("select * from detector_performance").fetchdf()
    assert stored.to_dict("records") == [{"kind": "bin", "n_true": 4}]
