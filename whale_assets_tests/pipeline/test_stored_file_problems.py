"""Missing or corrupt stored partitions are named, with what to do (issue 23, finding 10)."""

from __future__ import annotations

import pytest
from dagster import materialize

from whale_assets.assets import ALL_ASSETS, raven_selections, whale_results
from whale_assets.definitions import build_resources
from whale_assets_tests.support.pipeline import DAY, build_song_day, run_day

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def failure_of(settings, instance, asset, **config) -> str:
    result = materialize(
        ALL_ASSETS,
        selection=[asset.key],
        partition_key=DAY,
        resources=build_resources(settings),
        instance=instance,
        raise_on_error=False,
        run_config={"ops": {asset.key.path[-1]: {"config": config}}} if config else None,
    )
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert not result.success and failures
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    return failures[0].event_specific_data.error.message


def test_a_deliverable_before_the_pipeline_says_the_pipeline_must_run_first(world, instance):
    build_song_day(world)
    message = failure_of(world.settings(), instance, raven_selections)
    assert "is not stored" in message and "run the pipeline for 2023-09-14 first" in message and "raw_audio" in message


def test_a_corrupt_index_and_a_garbage_array_are_named(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    index = settings.data_dir / "classifications" / DAY / "index.json"
    index.write_text('{"windows": [')
    message = failure_of(settings, instance, whale_results)
    assert str(index) in message and "corrupt" in message and "force" in message

    index.unlink()
    run_day(settings, instance, classifications={"force": True})
    array = sorted((settings.data_dir / "raw_audio" / DAY).glob("*.npy"))[0]
    array.write_bytes(b"\x93NUMPY garbage, not an array" * 10)
    message = failure_of(settings, instance, whale_results, force=True)  # a plain run reuses the stored rows
    assert str(array) in message and "force" in message
