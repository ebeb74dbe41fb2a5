"""StoredTables: a day of a table read back outside the IO manager, from DuckDB and from Parquet (S3)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dagster import DailyPartitionsDefinition, asset, materialize

from whale_assets.resources import StoredTables
from whale_assets.storage.io_managers import WhaleDuckDBIOManager
from whale_assets.storage.parquet_tables import ParquetTableStorage
from whale_assets_tests.support.s3_server import moto_server, use_endpoint

DAY = dt.date(2023, 9, 14)
partitions = DailyPartitionsDefinition(start_date="2023-09-01", timezone="UTC")


def score_rows(day: dt.date, n: int) -> pd.DataFrame:
    start = pd.Timestamp(day)
    return pd.DataFrame(
        {
            "date": start,
            "time_utc": start + pd.to_timedelta([0.99 * i for i in range(n)], unit="s"),
            "score": pd.Series([0.1 * i for i in range(n)], dtype="float32"),
            "model": "energy",
        }
    )


def write_daily_scores(io_manager: object, day: dt.date, frame: pd.DataFrame) -> None:
    """Store `frame` as the `daily_scores` partition of `day` through the real IO manager."""

    @asset(name="daily_scores", partitions_def=partitions, io_manager_key="tables", metadata={"partition_expr": "date"})
    def scores() -> pd.DataFrame:
        return frame

    assert materialize([scores], partition_key=day.isoformat(), resources={"tables": io_manager}).success


def assert_reads_back_its_days(io_manager: object, reader: StoredTables) -> None:
    assert reader.read_day("daily_scores", DAY) is None  # nothing stored yet
    write_daily_scores(io_manager, DAY, score_rows(DAY, 5))
    write_daily_scores(io_manager, DAY + dt.timedelta(days=1), score_rows(DAY + dt.timedelta(days=1), 3))
    rows = reader.read_day("daily_scores", DAY)
    assert len(rows) == 5 and (rows["date"] == pd.Timestamp(DAY)).all()
    assert list(rows["time_utc"]) == list(score_rows(DAY, 5)["time_utc"])
    assert reader.read_day("daily_scores", DAY + dt.timedelta(days=1))["score"].size == 3
    assert reader.read_day("daily_scores", DAY - dt.timedelta(days=1)) is None


def test_a_day_is_read_from_the_duckdb_file_and_an_unwritten_day_is_none(tmp_path):
    database = tmp_path / "whale.duckdb"
    io_manager = WhaleDuckDBIOManager(database=str(database), schema="main")
    assert_reads_back_its_days(io_manager, StoredTables(storage="local", location=str(database)))


def test_a_day_is_read_from_its_parquet_object_in_a_bucket_and_an_unwritten_day_is_none(monkeypatch):
    with moto_server() as endpoint:
        bucket = use_endpoint(monkeypatch, endpoint)
        tables_url = f"s3://{bucket}/prefix/tables"
        assert_reads_back_its_days(
            ParquetTableStorage(base_path=tables_url), StoredTables(storage="s3", location=tables_url)
        )


@pytest.mark.parametrize("storage", ["local", "s3"])
def test_nothing_stored_at_all_reads_as_none(tmp_path, storage):
    location = str(tmp_path / ("whale.duckdb" if storage == "local" else "tables"))
    assert StoredTables(storage=storage, location=location).read_day("daily_scores", DAY) is None


def test_energy_fingerprints_name_the_detector_revision_while_its_model_column_stays_energy(monkeypatch):
    from whale_assets.core.scoring import energy
    from whale_assets.resources import ClassifierResource

    resource = ClassifierResource(name="energy")
    assert resource.label == "energy"  # what the `model` column of scores and results holds
    # Partitions of the earlier, tonality-only detector were fingerprinted with "energy": they recompute.
    assert resource.fingerprint_label != "energy" and energy.ENERGY_REVISION in resource.fingerprint_label
    monkeypatch.setattr(energy, "ENERGY_REVISION", "next")
    assert ClassifierResource(name="energy").fingerprint_label == "energy/next"
    assert ClassifierResource(name="humpback", model="/models/humpback").fingerprint_label == "/models/humpback"
