"""A DuckDB file written by dagster-duckdb's IO manager (before this one) is read and replaced as before."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import AssetIn, DailyPartitionsDefinition, asset, materialize
from dagster_duckdb_pandas import DuckDBPandasIOManager

from whale_assets.storage.io_managers import WhaleDuckDBIOManager

partitions = DailyPartitionsDefinition(start_date="2023-09-01", timezone="UTC")


def encounters_asset(frame: pd.DataFrame):
    @asset(name="encounters", partitions_def=partitions, io_manager_key="tables", metadata={"partition_expr": "date"})
    def encounters() -> pd.DataFrame:
        return frame

    return encounters


def rows(day: str, ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.Timestamp(day), "encounter_id": ids, "start_utc": pd.Timestamp(f"{day} 10:00")})


def test_days_stored_by_dagster_duckdb_are_loaded_and_replaced_day_by_day(tmp_path):
    database = str(tmp_path / "whale.duckdb")
    stock = DuckDBPandasIOManager(database=database, schema="main")
    for day, ids in (("2023-09-14", ["e1", "e2"]), ("2023-09-15", ["f1"])):
        assert materialize([encounters_asset(rows(day, ids))], partition_key=day, resources={"tables": stock}).success

    loaded = {}

    @asset(partitions_def=partitions, ins={"encounters": AssetIn()})
    def encounter_ids(encounters: pd.DataFrame) -> None:
        loaded["ids"] = sorted(encounters["encounter_id"])

    ours = WhaleDuckDBIOManager(database=database, schema="main")
    source = encounters_asset(rows("2023-09-14", ["e3"]))
    assert materialize(
        [source.to_source_asset(), encounter_ids], partition_key="2023-09-15", resources={"tables": ours}
    ).success
    assert loaded["ids"] == ["f1"]  # only the requested day of the old store

    result = materialize([source], partition_key="2023-09-14", resources={"tables": ours})
    with duckdb.connect(database, read_only=True) as connection:
        stored = connection.execute(
            "select date::date::varchar, encounter_id from main.encounters order by 1, 2"
        ).fetchall()
    assert stored == [("2023-09-14", "e3"), ("2023-09-15", "f1")]  # the day replaced, the other kept
    [event] = result.asset_materializations_for_node("encounters")
    assert event.metadata["dagster/table_name"].value == "main.encounters"  # a table name, not the file
    assert not {"Query", "storage_kind", "partition_row_count"} & set(event.metadata)
