"""The energy detector on real humpback song (MBARI units at MARS), judged on held-out recordings only.

The detector's parameters were chosen on `TUNING_RECORDINGS`; these tests replay units of
`HELD_OUT_RECORDINGS` at their recorded offsets into MARS-like noise (`demo.real_song`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.energy import EnergyClassifier
from whale_assets.core.synthesis.mars_scene import render
from whale_assets.core.tables.hourly_presence import hourly_presence
from whale_assets.core.utc import Day
from whale_assets.demo.real_song import HELD_OUT_RECORDINGS, real_song_scene, song_intervals, units_dir

pytestmark = pytest.mark.skipif(
    units_dir() is None,
    reason="real song units absent: ../shared/data/mbari-song-units/ (or WHALE_REAL_SONG_UNITS) not found",
)
NOISE_S = 180.0  # noise only, then real song
DAY = Day(2016, 12, 21)


@lru_cache(maxsize=4)
def scored(snr_db: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    """Scores, window starts and ends of 3 minutes of noise then 4 minutes of held-out real song."""
    scene = real_song_scene(HELD_OUT_RECORDINGS, snr_db, 420.0, seed=int(snr_db), song_s=(NOISE_S, 420.0))
    classifier = EnergyClassifier()
    scores = classifier.score(resample_exact(render(scene), scene.sample_rate, classifier.grid.sample_rate))
    starts = classifier.grid.window_offsets_s(scores.size)
    return scores, starts, starts + classifier.grid.context_s, song_intervals(scene)


def test_windows_inside_held_out_real_song_pool_above_one_half_at_10_db():
    scores, starts, ends, units = scored(10.0)
    overlapping = np.zeros(scores.size, bool)
    for unit in units:
        overlapping |= (starts < unit.end_s) & (unit.start_s < ends)
    assert overlapping.sum() > 150
    assert scores[overlapping].mean() >= 0.5


@pytest.mark.parametrize("snr_db", [6.0, 10.0])
def test_noise_only_windows_before_real_song_detect_nothing(snr_db):
    scores, _, ends, _ = scored(snr_db)
    assert np.max(scores[ends <= NOISE_S - 1.0]) < 0.5


def test_four_minutes_of_held_out_real_song_at_6_db_make_their_hour_present():
    scores, starts, _, _ = scored(6.0)
    times = np.datetime64(DAY.isoformat(), "ns") + np.timedelta64(17, "h") + (starts * 1e9).astype("timedelta64[ns]")
    presence = hourly_presence(DAY, times, scores)
    assert list(presence.loc[presence["present"], "hour_utc"].dt.hour) == [17]
    # The noise-only part alone is not present.
    quiet = starts + 3.9124 <= NOISE_S
    assert not hourly_presence(DAY, times[quiet], scores[quiet])["present"].any()
