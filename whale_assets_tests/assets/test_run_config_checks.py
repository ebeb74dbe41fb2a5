"""Finding 9 (issue 14): run config is rejected before any work, never retried, and the schema
accepts exactly what the code does.

What Dagster 1.13 itself checks when a run is launched (launchpad, `dagster job launch`,
`execute_in_process`): types, Literal/enum values and unknown keys. pydantic bounds (`Field(ge=...)`)
and rules between fields are not in its run-config schema; they are checked when a step builds
its config object, inside the step's retry boundary (see docs in `assets/run_config.py`).
"""

from __future__ import annotations

from functools import partial

import pytest
from dagster import DagsterInvalidConfigError, materialize

from whale_assets.assets import PIPELINE_ASSETS, daily_scores, encounters
from whale_assets.assets.classifications import ClassifyConfig
from whale_assets.assets.daily_scores import DailyScoresConfig
from whale_assets.assets.encounter_clips import ClipConfig
from whale_assets.assets.encounters import EncountersConfig
from whale_assets.assets.hourly_presence import HourlyPresenceConfig
from whale_assets.assets.raven_selections import RavenConfig
from whale_assets.assets.raw_audio import RawAudioConfig
from whale_assets.assets.run_config import InvalidRunConfig
from whale_assets.assets.sifted_audio import SiftConfig
from whale_assets.assets.whale_results import ResultsConfig
from whale_assets.core.audio.sift import SiftParameters, bandpass_sos
from whale_assets.core.encounters.windows import group_encounters
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.day_chunks import plan_day_chunks
from whale_assets.core.scoring.pooling import DetectionRule, median_filtered
from whale_assets.definitions import build_resources
from whale_assets_tests.support.pipeline import DAY, TEST_MARGIN_S, build_song_day
from whale_assets_tests.support.world import World, export_row

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def run_pipeline(world: World, instance, **configs: dict):
    run_config = {"ops": {"raw_audio": {"config": {"margin_s": TEST_MARGIN_S}}}}
    for name, values in configs.items():
        run_config["ops"].setdefault(name, {"config": {}})["config"].update(values)
    return materialize(
        PIPELINE_ASSETS,
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        run_config=run_config,
        raise_on_error=False,
    )


def events(result, kind: str) -> list:
    return [event for event in result.all_events if event.event_type_value == kind]


def test_a_wrong_type_is_rejected_by_dagsters_schema_before_the_run(world: World, instance):
    with pytest.raises(DagsterInvalidConfigError, match="margin_s"):
        run_pipeline(world, instance, raw_audio={"margin_s": "half an hour"})


@pytest.mark.parametrize(
    ("configs", "named"),
    [
        ({"raw_audio": {"margin_s": -1.0}}, "raw_audio.margin_s"),
        ({"sifted_audio": {"lowcut_hz": 3000.0, "highcut_hz": 100.0}}, "sifted_audio"),
        ({"sifted_audio": {"threshold": 1.5}}, "sifted_audio.threshold"),
        ({"sifted_audio": {"threshold": 1.0}}, "sifted_audio.threshold"),
        ({"sifted_audio": {"start_db": 3.0, "end_db": 7.0}}, "sifted_audio"),
        ({"classifications": {"context_step_samples": 100}}, "classifications.context_step_samples"),
        ({"whale_results": {"median_filter_windows": 4}}, "whale_results.median_filter_windows"),
        ({"raw_audio": {"margin_s": 1e9}}, "raw_audio.margin_s"),
    ],
    ids=[
        "negative margin",
        "lowcut above highcut",
        "threshold 1.5",
        "threshold 1.0",
        "end above start",
        "step below one hop",
        "even median filter",
        "margin of 30 years",
    ],
)
def test_a_bad_value_fails_the_runs_first_step_at_once_before_any_work(world: World, instance, configs, named):
    build_song_day(world)
    result = run_pipeline(world, instance, **configs)
    assert not result.success
    [failure] = events(result, "STEP_FAILURE")
    assert failure.step_key == "encounters"  # the first step: nothing fetched, read or stored
    assert not result.get_asset_materialization_events()
    assert not events(result, "STEP_UP_FOR_RETRY")  # a config error is never retried
    assert named in str(failure.event_specific_data.error)


def test_a_bad_value_in_a_step_with_a_retry_policy_fails_once(world: World, instance):
    world.encounters(export_row("a", f"{DAY} 10:00:00"))
    result = materialize(
        [encounters],
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        run_config={"ops": {"encounters": {"config": {"max_duration_h": 100.0}}}},
        raise_on_error=False,
    )
    assert not result.success
    assert not events(result, "STEP_UP_FOR_RETRY")
    assert "max_duration_h" in str(events(result, "STEP_FAILURE")[0].event_specific_data.error)


def accepts(build) -> bool:
    try:
        build()
    except (ValueError, InvalidRunConfig):
        return False
    return True


@pytest.mark.parametrize("threshold", [-0.1, 0.0, 0.5, 0.999, 1.0, 1.5])
def test_sift_threshold_range_is_the_cores(threshold):
    assert accepts(lambda: SiftConfig(threshold=threshold)) == accepts(lambda: SiftParameters(threshold=threshold))


@pytest.mark.parametrize(
    ("low", "high"), [(100.0, 3000.0), (3000.0, 100.0), (100.0, 100.0), (100.0, 7999.0), (100.0, 8000.0)]
)
def test_sift_band_range_is_the_cores(low, high):
    core = accepts(lambda: bandpass_sos(low, high, ARCHIVE_SAMPLE_RATE, 5))
    assert accepts(lambda: SiftConfig(lowcut_hz=low, highcut_hz=high)) == core


@pytest.mark.parametrize(("start", "end"), [(7.0, 3.0), (3.0, 3.0), (3.0, 7.0)])
def test_sift_hysteresis_range_is_the_cores(start, end):
    core = accepts(lambda: SiftParameters(start_db=start, end_db=end))
    assert accepts(lambda: SiftConfig(start_db=start, end_db=end)) == core


@pytest.mark.parametrize("margin", [-1.0, 0.0, 1800.0, 21_600.0, 21_600.5, 1e9])
def test_margin_range_is_the_cores(margin):
    assert accepts(lambda: RawAudioConfig(margin_s=margin)) == accepts(lambda: group_encounters([], [], [], margin))


@pytest.mark.parametrize("step", [1, 299, 300, 10_000, 600_000, 600_001, 10**9])
def test_context_step_range_is_the_cores(step):
    core = accepts(lambda: WindowGrid.for_step(step))
    assert accepts(lambda: ClassifyConfig(context_step_samples=step)) == core
    assert accepts(lambda: DailyScoresConfig(context_step_samples=step)) == core


@pytest.mark.parametrize("chunk_s", [600.0, 600.5, 600.00001])
def test_chunk_length_range_is_the_cores(chunk_s):
    core = accepts(lambda: plan_day_chunks(0, WindowGrid(), chunk_s=chunk_s))
    assert accepts(lambda: DailyScoresConfig(chunk_s=chunk_s)) == core


@pytest.mark.parametrize(("threshold", "kernel"), [(0.5, 1), (0.5, 4), (0.5, 5), (1.5, 5), (1.0, 3)])
def test_every_detection_config_takes_the_cores_detection_rule(threshold, kernel):
    core = accepts(lambda: median_filtered([0.0], kernel)) and accepts(lambda: DetectionRule(threshold, kernel))
    for config in (ResultsConfig, HourlyPresenceConfig, RavenConfig, ClipConfig):
        assert accepts(partial(config, threshold=threshold, median_filter_windows=kernel)) == core, config
        if core:
            assert config(threshold=threshold, median_filter_windows=kernel).rule == DetectionRule(threshold, kernel)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_and_inf_are_rejected(value):
    assert not accepts(lambda: RawAudioConfig(margin_s=value))
    assert not accepts(lambda: SiftConfig(start_db=value))


def test_every_bad_value_of_a_run_config_is_named_at_once(world: World, instance):
    build_song_day(world)
    result = run_pipeline(
        world,
        instance,
        encounters={"radius_km": float("nan")},
        raw_audio={"margin_s": 1e9},
        sifted_audio={"lowcut_hz": -5.0, "start_db": 3.0, "end_db": 7.0},
        classifications={"context_step_samples": 10**9},
    )
    [failure] = events(result, "STEP_FAILURE")
    message = failure.event_specific_data.error.message
    for named in [
        "encounters.radius_km",
        "raw_audio.margin_s",
        "sifted_audio.lowcut_hz",
        "end_db=7.0 must not exceed start_db=3.0",
        "classifications.context_step_samples",
    ]:
        assert named in message
    assert failure.step_key == "encounters" and not events(result, "STEP_UP_FOR_RETRY")


@pytest.mark.parametrize(
    ("config", "values"),
    [
        (SiftConfig, {"start_db": 1e9}),
        (SiftConfig, {"merge_gap_s": 1e9}),
        (SiftConfig, {"frame_samples": 10**9}),
        (ResultsConfig, {"median_filter_windows": 10**9 + 1}),
        (DailyScoresConfig, {"context_step_samples": 10**9}),
        (EncountersConfig, {"radius_km": 1e9}),
    ],
)
def test_absurdly_large_settings_are_refused_naming_the_key(config, values):
    with pytest.raises(InvalidRunConfig, match=f"{config.ASSET}.{next(iter(values))}: Input should be less than"):
        config(**values)


def test_the_energy_classifier_warns_that_it_ignores_a_requested_step(world: World, instance):
    build_song_day(world)
    result = materialize(
        PIPELINE_ASSETS[:4],
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        run_config={
            "ops": {
                "raw_audio": {"config": {"margin_s": TEST_MARGIN_S}},
                "classifications": {"config": {"context_step_samples": 20_000}},
            }
        },
    )
    [materialization] = result.asset_materializations_for_node("classifications")
    ignored = materialization.metadata["ignored_settings"].value
    assert set(ignored) == {"context_step_samples"}
    assert "energy" in ignored["context_step_samples"]


def test_the_default_step_is_not_reported_as_ignored(world: World, instance):
    build_song_day(world)
    result = materialize(
        PIPELINE_ASSETS[:4],
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        run_config={"ops": {"raw_audio": {"config": {"margin_s": TEST_MARGIN_S}}}},
    )
    [materialization] = result.asset_materializations_for_node("classifications")
    assert "ignored_settings" not in materialization.metadata


def test_the_energy_classifier_warns_on_a_requested_step_for_the_full_day(world: World, instance):
    world.audio(f"{DAY} 00:00:00", 120)
    world.write_archive()
    result = materialize(
        [daily_scores],
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        run_config={"ops": {"daily_scores": {"config": {"context_step_samples": 20_000}}}},
    )
    [materialization] = result.asset_materializations_for_node("daily_scores")
    assert set(materialization.metadata["ignored_settings"].value) == {"context_step_samples"}


def test_a_requested_step_is_reported_ignored_when_scores_come_from_daily_scores(world: World, instance):
    build_song_day(world)
    resources = build_resources(world.settings())
    assert materialize([daily_scores], partition_key=DAY, resources=resources, instance=instance).success
    result = materialize(
        PIPELINE_ASSETS[:4],
        partition_key=DAY,
        resources=resources,
        instance=instance,
        run_config={
            "ops": {
                "raw_audio": {"config": {"margin_s": TEST_MARGIN_S}},
                "classifications": {"config": {"context_step_samples": 20_000, "score_source": "daily_scores"}},
            }
        },
    )
    [materialization] = result.asset_materializations_for_node("classifications")
    assert "daily_scores" in materialization.metadata["ignored_settings"].value["context_step_samples"]
