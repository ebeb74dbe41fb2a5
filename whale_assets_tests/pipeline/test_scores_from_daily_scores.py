"""`classifications` with `score_source: daily_scores`: tracks from the full-day table, no model."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from dagster import materialize
from upath import UPath

from whale_assets.assets import PIPELINE_ASSETS, daily_scores
from whale_assets.assets.classifications import ClassifyConfig
from whale_assets.definitions import build_resources
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.resources import ClassifierResource
from whale_assets.settings import Settings
from whale_assets.storage.window_arrays import read_partition
from whale_assets_tests.support.pipeline import DAY, TEST_MARGIN_S, query, reused_flags
from whale_assets_tests.support.world import export_row

FROM_DAILY = {"classifications": {"score_source": "daily_scores"}}
DAY_FILE_S = 1800.0  # the day file holds only its first half hour: full-day scoring stays fast


class _ModelMustNotLoad(ClassifierResource):
    """The energy classifier's label, but loading it fails the run."""

    def load(self, context_step_samples: int = 10_000):
        raise AssertionError("classifications loaded the classifier although score_source is daily_scores")


def build_early_song_day(world) -> Settings:
    """Song at 00:20:30-00:21:30 in the 'sing' window, background only around 'quiet'."""
    world.encounters(
        export_row("quiet", "2023-09-14 00:06:00"),
        export_row("sing", "2023-09-14 00:20:00", "2023-09-14 00:22:00"),
    )
    world.audio("2023-09-14 00:02:00", 8 * 60, seed=2)
    world.audio("2023-09-14 00:15:00", 12 * 60, song_at_s=(5 * 60 + 30, 6 * 60 + 30))
    settings = world.settings()
    day = dt.date.fromisoformat(DAY)
    write_day_file(archive_path(world.archive_dir, day), world.segments[day], duration_s=DAY_FILE_S)
    return settings


def score_day(settings: Settings, instance, **config):
    run_config = {"ops": {"daily_scores": {"config": config}}}
    resources = build_resources(settings)
    return materialize([daily_scores], partition_key=DAY, resources=resources, instance=instance, run_config=run_config)


def run_pipeline(settings: Settings, instance, raise_on_error: bool = True, classifier=None, **config):
    run_config = {"ops": {"raw_audio": {"config": {"margin_s": TEST_MARGIN_S}}}}
    for asset_name, values in {**FROM_DAILY, **config}.items():
        run_config["ops"].setdefault(asset_name, {"config": {}})["config"].update(values)
    resources = {**build_resources(settings), "classifier": classifier or _ModelMustNotLoad(name="energy")}
    return materialize(
        PIPELINE_ASSETS,
        partition_key=DAY,
        resources=resources,
        instance=instance,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def failure_message(result) -> str:
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "classifications"
    return failure.event_specific_data.error.message


@pytest.mark.slow
def test_whale_results_detect_song_from_daily_scores_on_the_day_grid_without_loading_the_model(world, instance):
    settings = build_early_song_day(world)
    assert score_day(settings, instance).success
    assert run_pipeline(settings, instance).success  # _ModelMustNotLoad fails the run if loaded

    results = query(settings, "select * from whale_results order by start_utc")
    quiet, sing = results.iloc[0], results.iloc[1]
    assert list(results["status"]) == ["no_signal", "ok"]  # background alone: nothing to score
    assert bool(sing["detected"]) and not bool(quiet["detected"])
    assert pd.Timestamp("2023-09-14 00:20:25") <= sing["peak_score_utc"] <= pd.Timestamp("2023-09-14 00:21:30")
    assert sing["model"] == "energy" and sing["n_scores"] > 10

    stored = read_partition(UPath(settings.data_dir / "classifications" / DAY))
    assert stored.attributes["score_source"] == "daily_scores"
    record = stored.record(sing["window_id"])
    assert record.score_source == "daily_scores" and record.model == "energy"
    track = stored.load(sing["window_id"])
    offsets = track["start_utc"] - np.datetime64(DAY, "ns")
    assert (offsets % np.timedelta64(990, "ms") == np.timedelta64(0, "ns")).all()  # midnight + i x 0.99 s
    # Every window's whole context lies in one stored stretch (a region padded by one context).
    sifted = read_partition(UPath(settings.data_dir / "sifted_audio" / DAY)).record(sing["window_id"])
    context = np.timedelta64(3_912_400_000, "ns")
    stretches = [
        (a.tz_localize(None).to_datetime64(), b.tz_localize(None).to_datetime64()) for a, b in sifted.segments_utc
    ]
    assert all(any(a <= t and t + context <= b for a, b in stretches) for t in track["start_utc"])
    table = query(settings, "select time_utc, score from daily_scores").set_index("time_utc")["score"]
    np.testing.assert_array_equal(track["score"], table.loc[pd.DatetimeIndex(track["start_utc"])].to_numpy())


def test_without_daily_scores_for_the_day_the_run_fails_saying_what_to_materialize(world, instance):
    settings = build_early_song_day(world)
    result = run_pipeline(settings, instance, raise_on_error=False)
    assert not result.success
    message = failure_message(result)
    assert "materialize daily_scores for 2023-09-14 first, or set score_source: model" in message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


@pytest.mark.slow
def test_daily_scores_from_another_classifier_fail_the_run_naming_both(world, instance):
    settings = build_early_song_day(world)
    assert score_day(settings, instance).success  # scored by "energy"
    handle = str(world.root / "some-savedmodel")
    other = _ModelMustNotLoad(name="humpback", model=handle)
    message = failure_message(run_pipeline(settings, instance, raise_on_error=False, classifier=other))
    assert "'energy'" in message and repr(handle) in message and "set score_source: model" in message


@pytest.mark.slow
def test_rematerialized_daily_scores_make_classifications_recompute(world, instance):
    settings = build_early_song_day(world)
    score_day(settings, instance)
    assert reused_flags(run_pipeline(settings, instance))["classifications"] is False
    assert reused_flags(run_pipeline(settings, instance))["classifications"] is True

    # daily_scores rescored with another chunking (same rows, a new fingerprint).
    score_day(settings, instance, chunk_s=900.0)
    flags = reused_flags(run_pipeline(settings, instance))
    assert flags["sifted_audio"] is True
    assert flags["classifications"] is False and flags["whale_results"] is False


def test_the_default_score_source_leaves_stored_fingerprints_as_they_were():
    assert ClassifyConfig().fingerprint_parameters() == {"context_step_samples": 10_000}
    assert ClassifyConfig(score_source="daily_scores").fingerprint_parameters()["score_source"] == "daily_scores"


@pytest.mark.slow
def test_switching_score_source_recomputes_classifications(world, instance):
    settings = build_early_song_day(world)
    score_day(settings, instance)
    energy = ClassifierResource(name="energy")
    run_pipeline(settings, instance, classifier=energy, classifications={"score_source": "model"})
    flags = reused_flags(run_pipeline(settings, instance))
    assert flags["sifted_audio"] is True and flags["classifications"] is False


@pytest.mark.slow
def test_an_incomplete_daily_scores_day_leaves_classifications_incomplete(world, instance):
    settings = build_early_song_day(world)
    score_day(settings, instance)
    # What an incomplete day (audio still missing) looks like in storage: rows, no fingerprint.
    (settings.data_dir / "_fingerprints" / "daily_scores" / f"{DAY}.json").unlink()
    run_pipeline(settings, instance)
    assert reused_flags(run_pipeline(settings, instance))["classifications"] is False
