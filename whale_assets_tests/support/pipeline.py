"""Materialize the daily pipeline for one partition and read its DuckDB tables back."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from whale_assets.assets import PIPELINE_ASSETS
from whale_assets.definitions import build_resources
from whale_assets.settings import Settings

DAY = "2023-09-14"
TEST_MARGIN_S = 60.0


def run_day(settings: Settings, instance: DagsterInstance, day: str = DAY, **config: dict) -> ExecuteInProcessResult:
    """Materialize the pipeline for `day`, raising on failure; `config` is run config per asset name."""
    return run_day_result(settings, instance, day, raise_on_error=True, **config)


def run_day_result(
    settings: Settings, instance: DagsterInstance, day: str = DAY, raise_on_error: bool = False, **config: dict
) -> ExecuteInProcessResult:
    """As `run_day`, but a failed run is returned for inspection unless `raise_on_error`."""
    run_config = {"ops": {"raw_audio": {"config": {"margin_s": TEST_MARGIN_S}}}}
    for asset_name, asset_config in config.items():
        run_config["ops"].setdefault(asset_name, {"config": {}})["config"].update(asset_config)
    return materialize(
        PIPELINE_ASSETS,
        partition_key=day,
        resources=build_resources(settings),
        instance=instance,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def query(settings: Settings, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(settings.database), read_only=True) as connection:
        return connection.sql(sql).df()
