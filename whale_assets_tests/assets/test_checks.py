"""The asset checks pass on good stored days and warn or fail on crafted bad ones (Dagster-level).

Good days come from the real pipeline (the `whale_pipeline` job, which runs its checks); bad
tables are written by a stand-in asset with the checked asset's key through the real IO manager.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dagster import AssetCheckSeverity, ExecuteInProcessResult, asset, materialize

from whale_assets.assets import encounters
from whale_assets.assets.checks import (
    daily_scores_cover_the_day,
    encounters_dropped_rows,
    hourly_presence_has_24_hours,
    whale_results_rows_valid,
)
from whale_assets.assets.partitions import DAILY_TABLE
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.core.tables.daily_scores import daily_score_table
from whale_assets.core.tables.hourly_presence import hourly_presence
from whale_assets.core.utc import Day
from whale_assets.definitions import build_definitions, build_resources
from whale_assets.settings import Settings
from whale_assets_tests.support.pipeline import DAY, TEST_MARGIN_S, build_song_day
from whale_assets_tests.support.world import World, export_row

NO_FILE_DAY = "2023-09-16"  # no day file in the archive: the day's audio may still be published


def evaluations(result: ExecuteInProcessResult) -> dict[str, object]:
    return {evaluation.check_name: evaluation for evaluation in result.get_asset_check_evaluations()}


def run_pipeline_job(settings: Settings, instance, day: str = DAY) -> ExecuteInProcessResult:
    return (
        build_definitions(settings)
        .resolve_job_def("whale_pipeline")
        .execute_in_process(
            partition_key=day,
            instance=instance,
            run_config={"ops": {"raw_audio": {"config": {"margin_s": TEST_MARGIN_S}}}},
            raise_on_error=False,
        )
    )


def stand_in(name: str, table: pd.DataFrame):
    """An asset stored as `name` that writes `table`: a crafted day for that asset's checks."""

    @asset(name=name, **DAILY_TABLE)
    def _crafted() -> pd.DataFrame:
        return table

    return _crafted


def materialize_with(settings: Settings, instance, *definitions, day: str = DAY) -> ExecuteInProcessResult:
    return materialize(
        list(definitions),
        partition_key=day,
        resources=build_resources(settings),
        instance=instance,
        raise_on_error=False,
    )


def test_the_pipeline_job_runs_its_checks_and_they_pass_on_a_good_day(world: World, instance):
    build_song_day(world)
    result = run_pipeline_job(world.settings(), instance)
    assert result.success
    checks = evaluations(result)
    assert set(checks) == {
        "encounters_dropped_rows",
        "encounters_source_readable",
        "whale_results_rows_valid",
        "whale_results_complete",
    }
    assert all(check.passed for check in checks.values()), {n: c.description for n, c in checks.items()}
    assert all(check.partition == DAY for check in checks.values())
    assert checks["whale_results_rows_valid"].metadata["rows"].value == 2  # `sing` and `quiet`

    rerun = evaluations(run_pipeline_job(world.settings(), instance))  # every asset reuses its partition
    assert all(check.passed for check in rerun.values())
    assert rerun["encounters_dropped_rows"].metadata["rows_read"].value == 5  # counts of the first run


def test_a_day_whose_audio_may_still_arrive_warns_incomplete_and_its_rows_stay_valid(world: World, instance):
    world.encounters(export_row("late-audio", f"{NO_FILE_DAY} 12:00:00"))
    result = run_pipeline_job(world.settings(), instance, day=NO_FILE_DAY)
    assert result.success  # a warning does not fail the run
    checks = evaluations(result)
    assert not checks["whale_results_complete"].passed
    assert checks["whale_results_complete"].severity == AssetCheckSeverity.WARN
    assert checks["whale_results_rows_valid"].passed


def test_an_export_with_mostly_unusable_rows_warns(world: World, instance):
    rows = [export_row(f"hw-{n}", f"{DAY} 1{n}:00:00") for n in range(5)]
    for row in rows[:2]:
        row["startTime"] = ""  # no start: dropped for bad data (2 of 5 rows = 40 %)
    world.encounters(*rows)
    result = materialize_with(world.settings(), instance, encounters, encounters_dropped_rows)
    assert result.success
    [check] = evaluations(result).values()
    assert (check.passed, check.severity) == (False, AssetCheckSeverity.WARN)
    assert check.metadata["dropped_fraction"].value == pytest.approx(0.4)
    assert check.metadata["dropped_missing_time"].value == 2


def test_results_with_a_bad_status_a_score_above_one_and_a_missing_encounter_fail_and_block(world: World, instance):
    world.encounters(export_row("a", f"{DAY} 10:00:00"), export_row("b", f"{DAY} 11:00:00"))
    settings = world.settings()
    assert materialize_with(settings, instance, encounters).success
    crafted = pd.DataFrame(
        {
            "date": pd.Timestamp(DAY),
            "encounter_id": ["a"],
            "status": ["maybe"],
            "pooled_score": [1.5],
            "max_score": [0.9],
        }
    )
    result = materialize_with(settings, instance, stand_in("whale_results", crafted), whale_results_rows_valid)
    assert not result.success  # blocking: an ERROR fails the run
    [check] = evaluations(result).values()
    assert (check.passed, check.severity) == (False, AssetCheckSeverity.ERROR)
    assert check.metadata["encounters_without_row"].value == ["b"]
    assert check.metadata["unknown_statuses"].value == ["maybe"]
    assert check.metadata["scores_outside_0_1"].value == 1


def full_day_scores(skip_hours: tuple[int, ...] = ()) -> pd.DataFrame:
    grid = WindowGrid()
    n_windows = grid.n_windows(86_400 * grid.sample_rate)
    start = pd.Timestamp(DAY)
    times = start.to_datetime64() + (grid.window_offsets_s(n_windows) * 1e9).astype("timedelta64[ns]")
    scores = np.random.default_rng(3).uniform(0, 0.3, n_windows).astype(np.float32)
    scores[np.isin(pd.DatetimeIndex(times).hour, skip_hours)] = np.nan  # no audio there
    return daily_score_table(Day.from_key(DAY), times, scores, "energy")


@pytest.mark.parametrize(("skip_hours", "passed"), [((), True), ((3, 4, 5), False)])
def test_daily_scores_coverage_warns_and_lists_the_hours_without_scores(world: World, instance, skip_hours, passed):
    scores = full_day_scores(skip_hours)
    result = materialize_with(world.settings(), instance, stand_in("daily_scores", scores), daily_scores_cover_the_day)
    assert result.success
    [check] = evaluations(result).values()
    assert (check.passed, check.severity) == (passed, AssetCheckSeverity.WARN)
    assert check.metadata["full_day_windows"].value == 87_269
    assert check.metadata["windows_scored"].value == len(scores)
    assert check.metadata["missing_hours"].value == list(skip_hours)


@pytest.mark.parametrize("hours_kept", [24, 23])
def test_hourly_presence_needs_all_24_hours_and_blocks_otherwise(world: World, instance, hours_kept):
    scores = full_day_scores()
    table = hourly_presence(
        Day.from_key(DAY),
        scores["time_utc"].to_numpy("datetime64[ns]"),
        scores["score"].to_numpy("float64"),
        DetectionRule(0.5, 5),
        min_seconds=10.0,
    ).head(hours_kept)
    result = materialize_with(
        world.settings(), instance, stand_in("hourly_presence", table), hourly_presence_has_24_hours
    )
    [check] = evaluations(result).values()
    assert check.passed == (hours_kept == 24) and result.success == (hours_kept == 24)
    assert check.severity == AssetCheckSeverity.ERROR
    assert check.metadata["missing_hours"].value == ([] if hours_kept == 24 else ["23"])
