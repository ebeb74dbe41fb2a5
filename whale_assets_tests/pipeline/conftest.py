from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from dagster import instance_for_test, materialize

from whale_assets.assets import PIPELINE_ASSETS
from whale_assets.definitions import build_resources
from whale_assets.settings import Settings
from whale_assets_tests.support.world import World

DAY = "2023-09-14"
TEST_MARGIN_S = 60.0


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


@pytest.fixture
def instance():
    with instance_for_test() as dagster_instance:
        yield dagster_instance


def run_day(settings: Settings, instance, day: str = DAY, **config):
    return run_day_result(settings, instance, day, raise_on_error=True, **config)


def run_day_result(settings: Settings, instance, day: str = DAY, raise_on_error: bool = False, **config):
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
