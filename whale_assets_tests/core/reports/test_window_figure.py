import numpy as np
import pandas as pd

from whale_assets.core.reports.window_figure import MAX_COLUMNS, render_encounter_png, window_spectrogram
from whale_assets.core.scoring.track import score_track

START = pd.Timestamp("2023-09-14 12:00:00", tz="UTC")


def test_a_window_renders_to_a_png_with_its_scores_and_encounter():
    audio = np.random.default_rng(0).standard_normal(16_000 * 30).astype(np.float32) * 1e-3
    spectrogram = window_spectrogram(audio, 16_000, START)
    assert spectrogram.freqs_hz.max() <= 2_000
    track = score_track(START, np.linspace(0, 1, 27, dtype=np.float32), 0.99)
    png = render_encounter_png(spectrogram, track, (START + pd.Timedelta(seconds=5), START + pd.Timedelta(seconds=9)), "t")
    assert png.startswith(b"\x89PNG\r\n")


def test_long_windows_are_summarised_to_a_bounded_number_of_columns():
    audio = np.zeros(16_000 * 3_600, np.float32)
    spectrogram = window_spectrogram(audio, 16_000, START)
    assert spectrogram.times_s.size <= MAX_COLUMNS
    assert spectrogram.times_s[-1] > 3_500
