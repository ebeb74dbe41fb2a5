"""`WHALE_CLASSIFIER=served`: classifications and daily_scores score through the TF Serving stand-in."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from upath import UPath

from whale_assets.resources import FingerprintStore
from whale_assets.storage.window_arrays import read_partition
from whale_assets_tests.pipeline.test_scores_from_daily_scores import build_early_song_day, score_day
from whale_assets_tests.support.model_server import running_grpc_model_server
from whale_assets_tests.support.pipeline import DAY, query, reused_flags, run_day


@pytest.fixture(scope="module")
def grpc_url(humpback_savedmodel_dir: Path) -> Iterator[str]:
    with running_grpc_model_server(humpback_savedmodel_dir) as url:
        yield url


def stored(settings) -> dict:
    """What the two scoring assets stored for the day: tables, the song's track and fingerprints."""
    classifications = read_partition(UPath(settings.data_dir / "classifications" / DAY))
    [sing] = [record for record in classifications if "sing" in record.encounter_ids]
    prints = FingerprintStore(root=str(settings.data_dir))
    return {
        "daily_scores": query(settings, "select * from daily_scores order by time_utc"),
        "results": query(settings, "select * from whale_results order by encounter_id"),
        "track": classifications.load(sing.window_id),
        "fingerprints": {asset: prints.get(asset, DAY) for asset in ("daily_scores", "classifications")},
    }


def test_the_scoring_assets_run_on_the_served_model_and_match_the_in_process_model(
    world, instance, grpc_url, humpback_savedmodel_dir
):
    base = build_early_song_day(world)
    served = dataclasses.replace(base, classifier="served", model_server=grpc_url)
    label = f"{grpc_url}/models/humpback_whale/versions/1"

    assert score_day(served, instance).success
    assert run_day(served, instance).success
    by_server = stored(served)

    day = by_server["daily_scores"]
    assert len(day) > 1000 and set(day["model"]) == {label}  # 20 minutes of audio: ~1 200 windows
    results = by_server["results"].set_index("encounter_id")
    assert results.loc["sing", "model"] == label
    assert bool(results.loc["sing", "detected"]) and not bool(results.loc["quiet", "detected"])

    # The in-process model over the same day: same windows, same times, same scores, other fingerprints.
    in_process = dataclasses.replace(base, classifier="humpback", model=str(humpback_savedmodel_dir))
    assert score_day(in_process, instance).success
    rerun = run_day(in_process, instance)
    assert reused_flags(rerun)["classifications"] is False  # another classifier: recomputed, not reused
    by_process = stored(in_process)

    local_day = by_process["daily_scores"]
    pd.testing.assert_series_equal(day["time_utc"], local_day["time_utc"])
    np.testing.assert_allclose(day["score"], local_day["score"], rtol=1e-6, atol=1e-7)
    assert np.ptp(local_day["score"]) > 0.5
    np.testing.assert_array_equal(by_server["track"]["start_utc"], by_process["track"]["start_utc"])
    np.testing.assert_allclose(by_server["track"]["score"], by_process["track"]["score"], rtol=1e-6, atol=1e-7)
    for asset, fingerprint in by_server["fingerprints"].items():
        assert fingerprint and by_process["fingerprints"][asset] and fingerprint != by_process["fingerprints"][asset], (
            asset
        )


def test_a_wrong_model_name_fails_daily_scores_at_once_saying_what_to_set(world, instance, grpc_url):
    settings = dataclasses.replace(
        build_early_song_day(world), classifier="served", model_server=grpc_url, model_name="humpback"
    )
    result = score_day_result(settings, instance)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.event_specific_data.error.message
    assert "NOT_FOUND" in message and "WHALE_MODEL_NAME" in message and "archive" not in message
    assert not [event for event in result.all_events if event.event_type_value == "STEP_UP_FOR_RETRY"]


def score_day_result(settings, instance):
    from dagster import materialize

    from whale_assets.assets import daily_scores
    from whale_assets.definitions import build_resources

    return materialize(
        [daily_scores], partition_key=DAY, resources=build_resources(settings), instance=instance, raise_on_error=False
    )


def test_a_new_served_model_version_recomputes_the_stored_classifications(
    world, instance, humpback_savedmodel_dir, tmp_path
):
    base = build_early_song_day(world)
    models = tmp_path / "humpback_whale"  # TF Serving's layout: one folder per version, the latest served
    models.mkdir()
    (models / "1").symlink_to(humpback_savedmodel_dir, target_is_directory=True)
    runs = []
    with running_grpc_model_server(models) as url:
        settings = dataclasses.replace(base, classifier="served", model_server=url)
        for new_version in (None, None, "2"):
            if new_version:  # the same weights published as version 2 on the same server
                (models / new_version).symlink_to(humpback_savedmodel_dir, target_is_directory=True)
            assert score_day(settings, instance).success
            runs.append((reused_flags(run_day(settings, instance))["classifications"], stored(settings)))
    (first, first_stored), (again, _), (after_switch, switched_stored) = runs
    assert first is False and again is True  # the same served version: the stored partition is reused
    assert after_switch is False  # version 2: recomputed, not reused
    assert set(switched_stored["daily_scores"]["model"]) == {f"{url}/models/humpback_whale/versions/2"}
    assert switched_stored["results"].set_index("encounter_id").loc["sing", "model"].endswith("/versions/2")
    np.testing.assert_array_equal(switched_stored["track"]["score"], first_stored["track"]["score"])  # same weights
