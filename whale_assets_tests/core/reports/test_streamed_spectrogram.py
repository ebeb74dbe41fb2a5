"""A long window's figure is computed from pieces (issue 23, finding 5): same spectrogram, bounded reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.reports.spectrogram import window_spectrogram
from whale_assets.core.reports.streamed_spectrogram import streamed_spectrogram

pytestmark = pytest.mark.faults

RATE = 16_000
START = pd.Timestamp("2023-09-14T01:00:00Z")


def _archive_like(seconds: float, seed: int = 0) -> np.ndarray:
    """Reddish noise near 8e-5 RMS on the archive's -0.0034 DC offset, with a gap of digital silence."""
    rng = np.random.default_rng(seed)
    white = rng.normal(0, 1, int(seconds * RATE) + 777)
    red = np.convolve(white, np.ones(32) / 32, mode="same")
    audio = (-0.0034 + 8e-5 * red / red.std()).astype(np.float32)
    audio[300 * RATE + 5 : 310 * RATE] = 0  # a gap that crosses piece boundaries
    audio[500 * RATE : 500 * RATE + 900] = 0  # zeros shorter than a gap block: not silence
    return audio


class CountingReader:
    def __init__(self, audio: np.ndarray) -> None:
        self.audio, self.longest = audio, 0

    def __call__(self, start: int, stop: int) -> np.ndarray:
        self.longest = max(self.longest, stop - start)
        return self.audio[start:stop].copy()


@pytest.mark.parametrize("piece_s", [37, 240])
def test_a_long_windows_spectrogram_from_pieces_equals_the_whole_windows(piece_s):
    audio = _archive_like(15 * 60)
    reader = CountingReader(audio)

    whole = window_spectrogram(audio, RATE, START)
    pieces = streamed_spectrogram(reader, audio.size, RATE, START, whole_window_samples=0, piece_samples=piece_s * RATE)

    np.testing.assert_array_equal(pieces.power_db, whole.power_db)
    np.testing.assert_array_equal(pieces.times_s, whole.times_s)
    np.testing.assert_array_equal(pieces.silent, whole.silent)
    assert whole.silent.any() and not whole.silent.all()
    assert reader.longest < piece_s * RATE + 20_000  # one piece plus its margins, never the window


def test_a_short_window_is_read_once_and_drawn_as_before():
    audio = _archive_like(20)
    reader = CountingReader(audio)
    spectrogram = streamed_spectrogram(reader, audio.size, RATE, START)
    np.testing.assert_array_equal(spectrogram.power_db, window_spectrogram(audio, RATE, START).power_db)
    assert reader.longest == audio.size
