import numpy as np
import pandas as pd

from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.core.scoring.track import score_track
from whale_assets.core.tables.provenance import Provenance
from whale_assets.core.tables.results import (
    RESULT_DTYPES,
    Labelling,
    WindowOutcome,
    build_results,
)
from whale_assets.core.utc import Day
from whale_assets.core.windows import WindowStatus

DAY = Day(2023, 9, 14)


def encounters(*ids):
    return pd.DataFrame(
        {
            "encounter_id": list(ids),
            "latitude": 36.7,
            "longitude": -122.2,
            "distance_km": 3.0,
            "start_utc": pd.Timestamp("2023-09-14 12:00:00"),
            "end_utc": pd.Timestamp("2023-09-14 12:05:00"),
            "encounter_img_url": "https://example.org/x.jpg",
        }
    )


def outcome(ids, scores, status=WindowStatus.OK):
    track = score_track(pd.Timestamp("2023-09-14 11:55:00", tz="UTC"), np.asarray(scores, np.float32), 0.99)
    return WindowOutcome(
        "w1",
        tuple(ids),
        status,
        track["start_utc"],
        track["score"],
        sifted_start_utc=pd.Timestamp("2023-09-14 11:55:00", tz="UTC"),
        sifted_end_utc=pd.Timestamp("2023-09-14 12:10:00", tz="UTC"),
        model="energy",
    )


def test_every_encounter_gets_one_row_labelled_from_its_window():
    scores = [0.1] * 10 + [0.9] * 7 + [0.1] * 10
    results = build_results(DAY, encounters("a", "b"), [outcome(["a", "b"], scores)], Labelling())
    assert list(results["encounter_id"]) == ["a", "b"]
    row = results.iloc[0]
    assert row["status"] == "ok" and row["n_scores"] == 27 and bool(row["detected"])
    assert np.isclose(row["pooled_score"], np.mean(np.float32(scores)))
    assert row["peak_score_utc"] == pd.Timestamp("2023-09-14 11:55:00") + pd.Timedelta(seconds=10 * 0.99)
    assert row["sifted_start_utc"] == pd.Timestamp("2023-09-14 11:55:00")


def test_an_isolated_high_score_is_not_a_detection_after_the_median_filter():
    results = build_results(DAY, encounters("a"), [outcome(["a"], [0.1] * 10 + [0.95] + [0.1] * 10)], Labelling())
    assert not results["detected"].iloc[0] and results["max_score"].iloc[0] > 0.9


def test_pooling_method_is_selectable():
    scores = [0.2, 0.4, 0.9]
    for method, expected in [("max", 0.9), ("median", 0.4), ("mean", np.mean(np.float32(scores)))]:
        results = build_results(DAY, encounters("a"), [outcome(["a"], scores)], Labelling(pooling=method))
        assert np.isclose(results["pooled_score"].iloc[0], expected)


def test_windows_without_audio_or_scores_keep_their_encounters_with_a_status():
    results = build_results(
        DAY,
        encounters("silent", "missing", "orphan"),
        [outcome(["silent"], []), outcome(["missing"], [], status=WindowStatus.NO_AUDIO)],
        Labelling(),
    )
    assert list(results["status"]) == ["no_signal", "no_audio", "no_audio"]
    assert results["n_scores"].tolist() == [0, 0, 0] and not results["detected"].any()
    assert results["pooled_score"].isna().all()


def test_columns_and_types_are_the_same_with_or_without_rows():
    empty = build_results(DAY, encounters().iloc[:0], [], Labelling())
    full = build_results(DAY, encounters("a"), [outcome(["a"], [0.5] * 5)], Labelling())
    assert list(empty.columns) == list(full.columns) == list(RESULT_DTYPES)
    assert (empty.dtypes == full.dtypes).all()


def test_every_row_records_the_run_and_the_settings_it_was_labelled_with():
    made_by = Provenance(
        run_id="run-1",
        margin_s=300.0,
        sift_mode="noise_floor",
        sift_lowcut_hz=100.0,
        sift_highcut_hz=3000.0,
        classifier="google/humpback_whale/1@bfloat16",
        score_source="model",
        threshold=0.9,
        median_filter_windows=9,
    )
    results = build_results(
        DAY,
        encounters("a", "b"),
        [outcome(["a", "b"], [0.6] * 9)],
        Labelling(rule=DetectionRule(0.5, 3)),
        provenance=made_by,
    )
    assert results["run_id"].tolist() == ["run-1", "run-1"] and results["margin_s"].tolist() == [300.0, 300.0]
    assert results["classifier"][0] == "google/humpback_whale/1@bfloat16" and results["sift_mode"][0] == "noise_floor"
    # The labelling's threshold and filter are recorded, not whatever the provenance carried.
    assert results["threshold"].tolist() == [0.5, 0.5] and results["median_filter_windows"].tolist() == [3, 3]
    assert results["pooling"].tolist() == ["mean", "mean"] and results["detected"].all()
