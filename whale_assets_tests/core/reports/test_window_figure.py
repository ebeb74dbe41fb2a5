"""The encounter figure: dB colour bar, UTC clock axis, score and detection in the title, silence masked."""

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.reports.spectrogram import MAX_COLUMNS, window_spectrogram
from whale_assets.core.reports.window_figure import (
    PREVIEW_MAX_BYTES,
    EncounterSummary,
    encounter_figure,
    preview_png,
    render_encounter_png,
)
from whale_assets.core.scoring.day_scoring import gap_intervals, runs
from whale_assets.core.scoring.track import score_track
from whale_assets.demo.mars_scene import MarsScene, SongSession, render

RATE = 16_000
START = pd.Timestamp("2023-09-14 23:49:00", tz="UTC")
SUMMARY = EncounterSummary("hw-1007", "20230914T234900Z", 0.8472, True)
SILENCE_S = (200.0, 320.0)  # a dropout: exact zeros, as the archive stores them


def mars_audio(seconds: float) -> np.ndarray:
    scene = MarsScene(seconds, seed=4, song=(SongSession(seconds * 0.3, seconds * 0.4, 10.0),), sample_rate=RATE)
    return render(scene).astype(np.float32)


@pytest.fixture(scope="module")
def window_with_dropout() -> np.ndarray:
    audio = mars_audio(600.0)
    audio[int(SILENCE_S[0] * RATE) : int(SILENCE_S[1] * RATE)] = 0.0
    return audio


def figure_of(audio: np.ndarray, summary: EncounterSummary = SUMMARY):
    spectrogram = window_spectrogram(audio, RATE, START)
    track = score_track(START, np.linspace(0, 1, int(audio.size / RATE / 0.99), dtype=np.float32), 0.99)
    span = (START + pd.Timedelta(seconds=60), START + pd.Timedelta(seconds=120))
    figure = encounter_figure(spectrogram, track, span, summary, threshold=0.5)
    figure.draw_without_rendering()  # tick labels are made at draw time
    return spectrogram, figure


def test_the_colour_bar_is_in_db(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    colour_bars = [axes for axes in figure.axes if axes.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1
    assert "dB" in colour_bars[0].get_ylabel()


def test_the_time_axis_is_utc_clock_time_within_the_window(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    axes = figure.axes[0]
    labels = [label.get_text() for label in axes.get_xticklabels() if label.get_text()]
    assert len(labels) >= 3
    day = START.tz_localize(None).normalize()
    clocks = [day + pd.Timedelta(dt.datetime.strptime(label, "%H:%M").strftime("%H:%M:00")) for label in labels]
    end = START + pd.Timedelta(seconds=window_with_dropout.size / RATE)
    assert START.tz_localize(None) <= clocks[0] and clocks[-1] <= end.tz_localize(None)
    assert clocks == sorted(clocks)
    assert "UTC" in axes.get_xlabel() and "2023-09-14" in axes.get_xlabel()


def test_short_windows_tick_in_seconds():
    _, figure = figure_of(mars_audio(120.0))
    labels = [label.get_text() for label in figure.axes[0].get_xticklabels() if label.get_text()]
    seconds = [dt.datetime.strptime(label, "%H:%M:%S").time() for label in labels]
    assert dt.time(23, 49) <= seconds[0] and seconds[-1] <= dt.time(23, 51)


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (SUMMARY, "hw-1007 · window 20230914T234900Z · pooled 0.85 · detected"),
        (EncounterSummary("hw-9", "20230914T010000Z", 0.1234, False), "pooled 0.12 · not detected"),
        (EncounterSummary("hw-9", "20230914T010000Z", float("nan"), False), "no score · not detected"),
    ],
)
def test_the_title_gives_the_pooled_score_and_detection(summary, expected):
    _, figure = figure_of(mars_audio(60.0), summary)
    assert figure.axes[0].get_title().endswith(expected)


def test_digital_silence_is_masked_exactly_where_it_lies(window_with_dropout):
    spectrogram, figure = figure_of(window_with_dropout)
    [mesh] = figure.axes[0].collections
    image = mesh.get_array()
    assert isinstance(image, np.ma.MaskedArray) and image.shape == spectrogram.power_db.shape
    masked_columns = np.ma.getmaskarray(image).all(axis=0)
    assert not np.ma.getmaskarray(image)[:, ~masked_columns].any()  # masks whole columns only
    [(first, stop)] = gap_intervals(window_with_dropout) / RATE
    assert (first, stop) == SILENCE_S
    centres = spectrogram.times_s
    # A column covers its centre +- half a column, plus the overlap of its last 0.128 s segment.
    reach = (centres[1] - centres[0]) / 2 + 0.128
    assert masked_columns[(centres > first) & (centres < stop)].all()
    assert not masked_columns[(centres < first - reach) | (centres > stop + reach)].any()
    assert len(runs(masked_columns)) == 1


def test_colour_limits_come_from_the_audio_not_the_silence(window_with_dropout):
    spectrogram, figure = figure_of(window_with_dropout)
    [mesh] = figure.axes[0].collections
    audible = spectrogram.power_db[:, ~spectrogram.silent]
    assert mesh.norm.vmin == pytest.approx(np.percentile(audible, 5))


def test_a_window_without_silence_has_nothing_masked():
    spectrogram, figure = figure_of(mars_audio(60.0))
    [mesh] = figure.axes[0].collections
    assert not np.ma.getmaskarray(mesh.get_array()).any() and not spectrogram.silent.any()


@pytest.mark.parametrize("seconds", [600.0, 3_600.0])
def test_the_png_is_a_palette_image_small_enough_to_show_inline(seconds):
    from PIL import Image

    audio = mars_audio(seconds)
    spectrogram = window_spectrogram(audio, RATE, START)
    png = render_encounter_png(spectrogram, None, (START, START + pd.Timedelta(minutes=5)), SUMMARY)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "P" and image.size == (1000, 400)
    assert len(png) <= PREVIEW_MAX_BYTES  # RGBA would be ~500 KB for the 10-minute window
    assert preview_png(png) == png


def test_long_windows_are_summarised_to_a_bounded_number_of_columns():
    audio = np.zeros(RATE * 3_600, np.float32)
    spectrogram = window_spectrogram(audio, RATE, START)
    assert spectrogram.times_s.size <= MAX_COLUMNS
    assert spectrogram.times_s[-1] > 3_500
    assert spectrogram.silent.all()  # an all-zero window is no data, not a quiet sea


def test_a_preview_too_large_to_show_inline_is_downscaled_below_the_limit():
    from PIL import Image

    spectrogram = window_spectrogram(mars_audio(600.0), RATE, START)
    png = render_encounter_png(spectrogram, None, (START, START + pd.Timedelta(minutes=5)), SUMMARY)
    preview = preview_png(png, max_bytes=len(png) // 3)
    assert len(preview) <= len(png) // 3
    assert Image.open(io.BytesIO(preview)).width < Image.open(io.BytesIO(png)).width
