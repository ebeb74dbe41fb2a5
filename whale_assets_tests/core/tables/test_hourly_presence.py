"""Hourly presence: 24 rows per day, median-filtered song seconds against a minimum."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.core.scoring.track import infer_step_ns
from whale_assets.core.tables.hourly_presence import PRESENCE_COLUMNS, hourly_presence
from whale_assets.core.utc import Day

DAY = Day(2023, 9, 14)
STEP_NS = 990_000_000


def _track(n=87_269, score=0.05):
    times = np.datetime64("2023-09-14T00:00:00", "ns") + (np.arange(n) * STEP_NS).astype("timedelta64[ns]")
    return times, np.full(n, score, np.float32)


def _window(hour, second):
    return int(np.ceil((hour * 3600 + second) / 0.99))


def test_a_quiet_day_has_24_absent_hours_with_their_counts():
    times, scores = _track()
    table = hourly_presence(DAY, times, scores)
    assert len(table) == 24 and dict(table.dtypes.astype(str)) == PRESENCE_COLUMNS
    assert list(table["hour_utc"]) == [pd.Timestamp("2023-09-14") + pd.Timedelta(hours=h) for h in range(24)]
    assert (table["date"] == pd.Timestamp(DAY)).all()
    assert table["n_scores"].sum() == 87_269 and set(table["n_scores"][:-1]) <= {3636, 3637}
    assert not table["present"].any() and (table["n_above_threshold"] == 0).all()
    assert table["max_score"].to_numpy() == pytest.approx(0.05)


def test_an_hour_is_present_with_at_least_min_seconds_of_filtered_song():
    times, scores = _track()
    first = _window(5, 600)
    scores[first : first + 11] = 0.9  # 11 windows = 10.89 s: present
    second = _window(7, 600)
    scores[second : second + 10] = 0.9  # 10 windows = 9.9 s: not enough
    third = _window(9, 600)
    scores[third : third + 60 : 3] = 0.9  # isolated windows: the median filter removes them
    by_hour = hourly_presence(DAY, times, scores)
    assert by_hour.loc[5, "present"] and by_hour.loc[5, "n_above_threshold"] == 11
    assert not by_hour.loc[7, "present"] and by_hour.loc[7, "n_above_threshold"] == 10
    assert not by_hour.loc[9, "present"] and by_hour.loc[9, "max_score"] == pytest.approx(0.9)
    assert list(by_hour.index[by_hour["present"]]) == [5]
    assert hourly_presence(DAY, times, scores, min_seconds=9.0)["present"].sum() == 2
    assert hourly_presence(DAY, times, scores, DetectionRule(0.95))["present"].sum() == 0


def test_missing_audio_gives_hours_without_scores_and_the_filter_never_bridges_a_gap():
    times, scores = _track()
    scores[_window(3, 0) : _window(4, 0)] = np.nan  # hour 3 missing
    # Two loud windows each side of a gap. Filtered per stretch (edges repeat the end value)
    # all four survive; a filter bridging the gap would see L H H L L and drop them all.
    gap = slice(_window(10, 1000), _window(10, 2000))
    scores[gap] = np.nan
    scores[gap.start - 2 : gap.start] = 0.9
    scores[gap.stop : gap.stop + 2] = 0.9
    keep = ~np.isnan(scores)
    table = hourly_presence(DAY, times[keep], scores[keep], min_seconds=1.0)
    assert table.loc[3, "n_scores"] == 0 and np.isnan(table.loc[3, "max_score"]) and not table.loc[3, "present"]
    assert table.loc[10, "n_above_threshold"] == 4
    # NaN scores passed in are dropped the same way.
    assert hourly_presence(DAY, times, scores).equals(hourly_presence(DAY, times[keep], scores[keep]))


def test_an_empty_track_and_the_inferred_step():
    table = hourly_presence(DAY, np.array([], "datetime64[ns]"), np.array([], np.float32))
    assert len(table) == 24 and (table["n_scores"] == 0).all() and not table["present"].any()
    times, _ = _track(10)
    assert infer_step_ns(times[::-1]) == STEP_NS and infer_step_ns(times[:1]) is None
    with pytest.raises(ValueError, match="shape"):
        hourly_presence(DAY, times, np.zeros(3))
