"""Real humpback song (NOAA, Cross Seamount) placed in 10 minutes of 16 kHz background noise.

The path the pipeline takes: 16 kHz archive audio -> sift -> 16 kHz to 10 kHz -> classifier.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.audio.sift import sift
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.energy import EnergyClassifier
from whale_assets.core.scoring.pooling import DetectionRule, detect
from whale_assets_tests.support.noaa import SONG_WAV, requires_noaa

pytestmark = requires_noaa

ARCHIVE_RATE = 16_000
SONG_START_S = 300.0
SONG_RMS = 0.003  # model card level of positive training clips
NOISE_RMS = 5e-4  # ~15 dB below the song, broadband


@pytest.fixture(scope="module")
def day_excerpt() -> tuple[np.ndarray, float]:
    """10 minutes of red ambient noise at 16 kHz with the song at SONG_START_S; returns (audio, song end)."""
    import soundfile as sf

    song, rate = sf.read(SONG_WAV, dtype="float32")
    assert rate == 10_000
    song16 = resample_exact(song - song.mean(), rate, ARCHIVE_RATE)  # the clip carries a DC offset
    song16 *= SONG_RMS / song16.std()

    white = np.random.default_rng(2024).standard_normal(ARCHIVE_RATE * 600, dtype=np.float32)
    noise = signal.lfilter([1.0], [1.0, -0.95], white) + 0.3 * white  # falls ~6 dB/octave above ~130 Hz
    audio = (noise * (NOISE_RMS / noise.std())).astype(np.float32)
    start = int(SONG_START_S * ARCHIVE_RATE)
    audio[start : start + song16.size] += song16
    return audio, SONG_START_S + song16.size / ARCHIVE_RATE


def test_sift_keeps_regions_spanning_the_song_and_nothing_else(day_excerpt: tuple[np.ndarray, float]) -> None:
    audio, song_end_s = day_excerpt

    result = sift(audio, ARCHIVE_RATE)

    frame_s = 512 / ARCHIVE_RATE
    start_s, end_s = (sample / ARCHIVE_RATE for sample in result.span)
    assert SONG_START_S - frame_s <= start_s <= SONG_START_S + 1.0
    assert song_end_s - 3.0 <= end_s <= song_end_s + frame_s
    assert all(
        SONG_START_S - frame_s <= s / ARCHIVE_RATE and e / ARCHIVE_RATE <= song_end_s + frame_s
        for s, e in result.regions
    )


def test_energy_classifier_scores_high_during_the_song_and_low_away_from_it(
    day_excerpt: tuple[np.ndarray, float],
) -> None:
    audio, song_end_s = day_excerpt
    waveform = resample_exact(audio, ARCHIVE_RATE, 10_000)

    scores = EnergyClassifier().score(waveform)

    grid = WindowGrid()
    assert scores.shape == (grid.n_windows(waveform.size),)
    start = grid.window_offsets_s(scores.size)
    end = start + grid.context_s
    inside = (start >= SONG_START_S) & (end <= song_end_s)
    overlapping = (end > SONG_START_S) & (start < song_end_s)
    far = (end < SONG_START_S - 10.0) | (start > song_end_s + 10.0)

    assert np.median(scores[inside]) > 0.9
    assert np.mean(scores[inside] >= 0.5) > 0.9
    assert np.all(overlapping[scores >= 0.5])  # every high window touches the song
    assert np.median(scores[far]) < 0.05
    assert np.max(scores[far]) < 0.1

    detection = detect(scores, DetectionRule(0.5, 5))
    assert detection.detected
    # The peak window overlaps the song (it may be the onset window, which starts just before it).
    assert start[detection.peak_index] < song_end_s and end[detection.peak_index] > SONG_START_S
