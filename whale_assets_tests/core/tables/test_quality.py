"""The judgements behind the asset checks, on small tables."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from whale_assets.core.tables.quality import (
    day_coverage,
    dropped_rows,
    full_day_windows,
    one_row_per_hour,
    results_match_encounters,
)

DAY = dt.date(2023, 9, 14)


def test_a_full_day_at_the_model_step_has_87269_windows():
    assert full_day_windows(0.99) == 87_269
    assert full_day_windows(0.3) > full_day_windows(0.99)


def test_dropped_rows_count_only_bad_data_against_every_row_read():
    counts = {"read": 10, "dropped_missing_time": 2, "dropped_unparseable_time": 1, "outside_day": 6, "kept": 1}
    verdict = dropped_rows(counts, limit=0.2)
    assert not verdict.passed and verdict.metadata["dropped_fraction"] == 0.3
    assert dropped_rows({**counts, "dropped_unparseable_time": 0}, limit=0.2).passed
    assert dropped_rows({"read": 0}, limit=0.2).passed  # an empty export drops nothing


def test_results_must_match_the_kept_encounters_one_to_one():
    kept = pd.DataFrame({"encounter_id": ["a", "b"]})
    good = pd.DataFrame(
        {
            "encounter_id": ["a", "b"],
            "status": ["ok", "no_audio"],
            "pooled_score": [0.7, None],
            "max_score": [1.0, None],
        }
    )
    assert results_match_encounters(good, kept).passed
    repeated = pd.concat([good, good.head(1)])
    assert results_match_encounters(repeated, kept).metadata["repeated_encounters"] == ["a"]
    negative = good.assign(max_score=[-0.1, None])
    assert results_match_encounters(negative, kept).metadata["scores_outside_0_1"] == 1


def test_coverage_lists_the_hours_without_any_window():
    times = pd.Series(pd.date_range("2023-09-14 00:00", "2023-09-14 21:59:59", freq="990ms"))
    verdict = day_coverage(times, DAY, min_coverage=0.99)
    assert not verdict.passed and verdict.metadata["missing_hours"] == [22, 23]
    assert verdict.metadata["full_day_windows"] == 87_269


def test_hourly_rows_must_be_the_days_24_hours():
    hours = pd.DataFrame({"hour_utc": pd.date_range("2023-09-14", periods=24, freq="h")})
    assert one_row_per_hour(hours, DAY).passed
    shifted = pd.DataFrame({"hour_utc": pd.date_range("2023-09-14 01:00", periods=24, freq="h")})
    assert one_row_per_hour(shifted, DAY).metadata["missing_hours"] == ["00"]
