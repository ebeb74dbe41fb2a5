"""WHALE_MODEL_PRECISION through the assets: bfloat16 partitions are stored, reused and recomputed on change."""

from __future__ import annotations

import dataclasses

import numpy as np

from whale_assets.definitions import build_resources
from whale_assets.resources import ClassifierResource
from whale_assets.sources import model_precision
from whale_assets_tests.pipeline.test_full_day import mars_audio, materialization_metadata, run_full_day, write_day
from whale_assets_tests.support.pipeline import build_song_day, query, reused_flags, run_day

PIPELINE = ["encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"]
BFLOAT16_TOLERANCE = 2e-3  # as in whale_assets_tests/sources/test_model_precision.py


def test_float32_keeps_the_bare_model_label_so_stored_partitions_stay_valid_and_bfloat16_and_int8_change_it(world):
    settings = world.settings(classifier="humpback", model="/models/humpback")
    float32 = build_resources(settings)["classifier"]
    bfloat16 = build_resources(dataclasses.replace(settings, model_precision="bfloat16"))["classifier"]
    assert float32.label == "/models/humpback"  # the label every existing fingerprint was made with
    assert bfloat16.label != float32.label and "bfloat16" in bfloat16.label
    int8 = build_resources(dataclasses.replace(settings, model_precision="int8"))["classifier"]
    assert "int8" in int8.label and int8.label not in (float32.label, bfloat16.label)
    assert len({r.fingerprint_label for r in (float32, bfloat16, int8)}) == 3  # what fingerprints are made of
    assert ClassifierResource(name="energy", precision="bfloat16").label == "energy"


def test_auto_labels_as_the_precision_the_cpu_flags_pick_so_float32_hosts_keep_stored_fingerprints(world, monkeypatch):
    settings = dataclasses.replace(
        world.settings(classifier="humpback", model="/models/humpback"), model_precision="auto"
    )
    monkeypatch.setattr(model_precision, "native_bfloat16_flags", lambda: ())
    assert build_resources(settings)["classifier"].label == "/models/humpback"
    monkeypatch.setattr(model_precision, "native_bfloat16_flags", lambda: ("avx512_bf16",))
    assert build_resources(settings)["classifier"].label == "/models/humpback [bfloat16]"


def test_a_bfloat16_partition_is_stored_reused_and_recomputed_when_the_precision_changes(
    world, instance, humpback_savedmodel_dir
):
    build_song_day(world)
    float32 = world.settings(classifier="humpback", model=str(humpback_savedmodel_dir))
    bfloat16 = dataclasses.replace(float32, model_precision="bfloat16")

    first = run_day(bfloat16, instance)
    assert reused_flags(first) == dict.fromkeys(PIPELINE, False)
    stored = query(bfloat16, "select * from whale_results order by start_utc")
    assert stored["model"].iloc[0] == f"{humpback_savedmodel_dir} [bfloat16]"  # the scored window's row
    assert list(stored["detected"]) == [True, False]

    assert reused_flags(run_day(bfloat16, instance)) == dict.fromkeys(PIPELINE, True)

    changed = run_day(float32, instance)
    assert reused_flags(changed) == {
        **dict.fromkeys(PIPELINE[:3], True),
        "classifications": False,
        "whale_results": False,
    }
    rescored = query(float32, "select * from whale_results order by start_utc")
    assert rescored["model"].iloc[0] == str(humpback_savedmodel_dir)
    assert list(rescored["detected"]) == list(stored["detected"])
    difference = abs(rescored["pooled_score"].iloc[0] - stored["pooled_score"].iloc[0])  # the row with song
    assert 0 < difference <= BFLOAT16_TOLERANCE


def test_daily_scores_in_bfloat16_are_stored_reused_and_recomputed_in_float32(world, instance, humpback_savedmodel_dir):
    write_day(world, [(0, mars_audio(240, (60, 150), seed=5))], duration_s=1800)
    float32 = world.settings(classifier="humpback", model=str(humpback_savedmodel_dir))
    bfloat16 = dataclasses.replace(float32, model_precision="bfloat16")

    assert run_full_day(bfloat16, instance).success
    assert materialization_metadata(instance, "daily_scores")["reused"] is False
    stored = query(bfloat16, "select * from daily_scores order by time_utc")
    assert (stored["model"] == f"{humpback_savedmodel_dir} [bfloat16]").all()

    assert run_full_day(bfloat16, instance).success
    assert materialization_metadata(instance, "daily_scores")["reused"] is True

    assert run_full_day(float32, instance).success
    assert materialization_metadata(instance, "daily_scores")["reused"] is False
    rescored = query(float32, "select * from daily_scores order by time_utc")
    assert list(rescored["time_utc"]) == list(stored["time_utc"])
    difference = np.abs(rescored["score"].to_numpy() - stored["score"].to_numpy())
    assert 0 < difference.max() <= BFLOAT16_TOLERANCE
    presence = query(float32, "select * from hourly_presence order by hour_utc")
    assert presence["present"].any()
