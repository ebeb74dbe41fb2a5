import datetime as dt

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.track import SCORE_TRACK_DTYPE, days_touched, span_track

GRID = WindowGrid()
CONTEXT_S = GRID.context_s  # 3.9124 s
DAY = pd.Timestamp("2023-09-14")


def day_grid(day: pd.Timestamp, first: int, n: int) -> np.ndarray:
    """Window starts day + i x 0.99 s for i in [first, first + n), as the daily_scores table has them."""
    offsets = np.round(np.arange(first, first + n) * GRID.step_s * 1e9).astype("timedelta64[ns]")
    return np.datetime64(day.to_datetime64(), "ns") + offsets


def test_only_windows_whose_whole_context_lies_in_the_span_are_kept_in_time_order():
    times = day_grid(DAY, 100, 20)  # 99.00 s .. 117.81 s after midnight
    scores = np.linspace(0, 1, times.size, dtype=np.float32)
    shuffled = np.random.default_rng(1).permutation(times.size)
    start, end = DAY + pd.Timedelta(seconds=100.0), DAY + pd.Timedelta(seconds=110.0)

    track = span_track(times[shuffled], scores[shuffled], start, end, CONTEXT_S)

    assert track.dtype == SCORE_TRACK_DTYPE
    # 99.00 and 99.99 start before the span; 100.98 is the first inside; 105.93 + 3.9124 = 109.84
    # still fits; 106.92 + 3.9124 = 110.83 runs past the end.
    assert list(track["start_utc"]) == list(times[2:8])
    np.testing.assert_array_equal(track["score"], scores[2:8])


def test_a_window_ending_exactly_at_the_span_end_is_kept():
    times = day_grid(DAY, 0, 3)
    end = pd.Timestamp(times[1]) + pd.Timedelta(seconds=CONTEXT_S)
    track = span_track(times, np.ones(3, np.float32), DAY, end, CONTEXT_S)
    assert list(track["start_utc"]) == list(times[:2])


def test_aware_span_bounds_are_compared_as_utc():
    times = day_grid(DAY, 0, 30)
    start = pd.Timestamp("2023-09-14T00:00:10+00:00").tz_convert("America/Los_Angeles")
    end = "2023-09-14T00:00:20+00:00"  # how sifted_audio stores it
    track = span_track(times, np.ones(30, np.float32), start, end, CONTEXT_S)
    assert track["start_utc"][0] == np.datetime64("2023-09-14T00:00:10.890", "ns")
    assert track["start_utc"][-1] + np.timedelta64(3_912_400_000, "ns") <= np.datetime64("2023-09-14T00:00:20")


def test_a_span_shorter_than_one_context_gets_no_scores_and_needs_no_day():
    end = DAY + pd.Timedelta(seconds=3.9)
    assert span_track(day_grid(DAY, 0, 5), np.ones(5, np.float32), DAY, end, CONTEXT_S).size == 0
    assert days_touched(DAY, end, CONTEXT_S) == []


def test_a_span_across_midnight_takes_rows_from_both_days_on_each_days_own_grid():
    next_day = DAY + pd.Timedelta(days=1)
    late = day_grid(DAY, 87_260, 9)  # the day's last windows, from 23:59:47.4
    early = day_grid(next_day, 0, 10)
    times, scores = np.concatenate([early, late]), np.arange(19, dtype=np.float32)
    start, end = next_day - pd.Timedelta(seconds=5), next_day + pd.Timedelta(seconds=5)

    assert days_touched(start, end, CONTEXT_S) == [dt.date(2023, 9, 14), dt.date(2023, 9, 15)]
    track = span_track(times, scores, start, end, CONTEXT_S)
    assert np.all(np.diff(track["start_utc"]) > np.timedelta64(0, "ns"))
    assert track["start_utc"][0] >= np.datetime64(start.to_datetime64(), "ns")
    assert np.datetime64("2023-09-15T00:00:00", "ns") in track["start_utc"]
    assert np.datetime64("2023-09-14T23:59:55.320", "ns") in track["start_utc"]  # 87 268 x 0.99 s


def test_a_span_ending_just_after_midnight_needs_only_the_day_its_windows_can_start_on():
    start = DAY + pd.Timedelta(hours=23, minutes=59)
    assert days_touched(start, DAY + pd.Timedelta(days=1, seconds=2), CONTEXT_S) == [dt.date(2023, 9, 14)]
    assert days_touched(start, DAY + pd.Timedelta(days=1, seconds=4), CONTEXT_S) == [
        dt.date(2023, 9, 14),
        dt.date(2023, 9, 15),
    ]


def test_times_and_scores_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        span_track(day_grid(DAY, 0, 3), np.ones(2, np.float32), DAY, DAY + pd.Timedelta(seconds=9), CONTEXT_S)
