"""Materialize the daily pipeline for one partition in an offline world, and read what it stored."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import DagsterInstance, ExecuteInProcessResult, materialize

from whale_assets.assets import ALL_ASSETS, PIPELINE_ASSETS
from whale_assets.definitions import build_resources
from whale_assets.settings import Settings
from whale_assets_tests.support.world import World, export_row

DAY = "2023-09-14"
TEST_MARGIN_S = 60.0


SNRS_DB = (6.0, 10.0, 15.0)
"""In-band SNRs of song the behaviour tests run at: weak, typical and strong MARS song."""
SONG_UTC = (pd.Timestamp("2023-09-14 16:00:30"), pd.Timestamp("2023-09-14 16:01:30"))
"""Where `build_song_day` puts its minute of song (inside the 'sing' encounter's window)."""


def build_song_day(world: World, snr_db: float = 10.0) -> None:
    """2023-09-14 with song (at `snr_db` in-band) at one encounter, a quiet one, and three the
    encounter filters drop."""
    world.encounters(
        export_row("sing", "2023-09-14 16:00:00", "2023-09-14 16:02:00"),
        export_row("quiet", "2023-09-14 20:00:00"),
        export_row("far", "2023-09-14 12:00:00", latitude=34.4, longitude=-119.7),
        export_row("blue", "2023-09-14 13:00:00", species="blue_whale"),
        export_row("next-day", "2023-09-15 01:00:00"),
    )
    world.audio("2023-09-14 15:55:00", 12 * 60, song_at_s=(5 * 60 + 30, 6 * 60 + 30), snr_db=snr_db)
    world.audio("2023-09-14 19:55:00", 12 * 60, seed=2)
    world.write_archive()


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


def reused_flags(result: ExecuteInProcessResult) -> dict[str, bool]:
    """Asset name -> whether its materialization in `result` reused the stored partition."""
    flags = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        flags[materialization.asset_key.path[-1]] = materialization.metadata["reused"].value
    return flags


def deliver_clips(settings: Settings, instance: DagsterInstance, **config: object) -> ExecuteInProcessResult:
    """Materialize `encounter_clips` for DAY with `config` (its upstream is already stored)."""
    return materialize(
        ALL_ASSETS,
        selection=["encounter_clips"],
        partition_key=DAY,
        resources=build_resources(settings),
        instance=instance,
        run_config={"ops": {"encounter_clips": {"config": config}}},
    )
