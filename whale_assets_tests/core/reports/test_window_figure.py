"""The encounter figure: spectrogram over a score panel on one UTC axis, dB colour bar, song units
visible above the noise, threshold in the score panel, score and detection in the title, silence masked."""

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.reports.spectrogram import MAX_COLUMNS, window_spectrogram
from whale_assets.core.reports.window_figure import (
    PREVIEW_MAX_BYTES,
    SCORES_LABEL,
    SONG_BAND_HZ,
    SPECTROGRAM_LABEL,
    EncounterSummary,
    colour_limits,
    encounter_figure,
    preview_png,
    render_encounter_png,
)
from whale_assets.core.scoring.day_scoring import gap_intervals, runs
from whale_assets.core.scoring.pooling import DetectionRule, median_filtered
from whale_assets.core.scoring.track import score_track
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render, song_units
from whale_assets_tests.support.figures import axes_labelled, texts_outside_canvas

RATE = 16_000
START = pd.Timestamp("2023-09-14 23:49:00", tz="UTC")
SUMMARY = EncounterSummary("hw-1007", "20230914T234900Z", 0.8472, True)
SILENCE_S = (200.0, 320.0)  # a dropout: exact zeros, as the archive stores them


def song_scene(seconds: float, snr_db: float = 10.0) -> MarsScene:
    return MarsScene(seconds, seed=4, song=(SongSession(seconds * 0.3, seconds * 0.4, snr_db),), sample_rate=RATE)


def mars_audio(seconds: float) -> np.ndarray:
    return render(song_scene(seconds)).astype(np.float32)


@pytest.fixture(scope="module")
def window_with_dropout() -> np.ndarray:
    audio = mars_audio(600.0)
    audio[int(SILENCE_S[0] * RATE) : int(SILENCE_S[1] * RATE)] = 0.0
    return audio


def figure_of(audio: np.ndarray, summary: EncounterSummary = SUMMARY):
    spectrogram = window_spectrogram(audio, RATE, START)
    track = score_track(START, np.linspace(0, 1, int(audio.size / RATE / 0.99), dtype=np.float32), 0.99)
    span = (START + pd.Timedelta(seconds=60), START + pd.Timedelta(seconds=120))
    figure = encounter_figure(spectrogram, track, span, summary, DetectionRule(0.5, 5))
    figure.draw_without_rendering()  # tick labels are made at draw time
    return spectrogram, figure


def power_axes(figure):
    return axes_labelled(figure, SPECTROGRAM_LABEL)


def score_axes(figure):
    return axes_labelled(figure, SCORES_LABEL)


def test_the_colour_bar_is_in_db(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    colour_bars = [axes for axes in figure.axes if axes.get_label() == "<colorbar>"]
    assert len(colour_bars) == 1
    assert "dB" in colour_bars[0].get_ylabel()


def test_the_time_axis_is_utc_clock_time_within_the_window(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    axes = score_axes(figure)
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
    labels = [label.get_text() for label in score_axes(figure).get_xticklabels() if label.get_text()]
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
    assert power_axes(figure).get_title().endswith(expected)


def test_digital_silence_is_masked_exactly_where_it_lies(window_with_dropout):
    spectrogram, figure = figure_of(window_with_dropout)
    [mesh] = power_axes(figure).collections
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
    [mesh] = power_axes(figure).collections
    in_band = (spectrogram.freqs_hz >= SONG_BAND_HZ[0]) & (spectrogram.freqs_hz <= SONG_BAND_HZ[1])
    audible = spectrogram.power_db[in_band][:, ~spectrogram.silent]
    assert (mesh.norm.vmin, mesh.norm.vmax) == pytest.approx(np.percentile(audible, [5, 99.8]))
    assert (mesh.norm.vmin, mesh.norm.vmax) == pytest.approx(colour_limits(spectrogram))


def test_a_window_without_silence_has_nothing_masked():
    spectrogram, figure = figure_of(mars_audio(60.0))
    [mesh] = power_axes(figure).collections
    assert not np.ma.getmaskarray(mesh.get_array()).any() and not spectrogram.silent.any()


@pytest.mark.parametrize("seconds", [600.0, 3_600.0])
def test_the_png_is_a_palette_image_small_enough_to_show_inline(seconds):
    from PIL import Image

    audio = mars_audio(seconds)
    spectrogram = window_spectrogram(audio, RATE, START)
    png = render_encounter_png(spectrogram, None, (START, START + pd.Timedelta(minutes=5)), SUMMARY)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "P" and image.size == (1100, 560)
    assert len(png) <= PREVIEW_MAX_BYTES  # RGBA would be ~600 KB for the 10-minute window
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


def test_the_scores_have_their_own_panel_below_the_spectrogram_on_the_same_time_axis(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    power, scores = power_axes(figure), score_axes(figure)
    assert sorted(axes.get_label() for axes in figure.axes) == sorted(["<colorbar>", SPECTROGRAM_LABEL, SCORES_LABEL])
    assert scores.get_position().y1 <= power.get_position().y0  # below, not overlaid (no twin axes)
    assert scores.get_position().x0 == pytest.approx(power.get_position().x0)
    assert scores.get_position().x1 == pytest.approx(power.get_position().x1)
    assert scores.get_xlim() == power.get_xlim()
    assert scores.get_ylim() == (0, 1)


def test_no_score_line_is_drawn_inside_the_spectrogram(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    for line in power_axes(figure).get_lines():  # only the encounter's two edges, vertical
        x = line.get_xdata()
        assert len(x) == 2 and x[0] == x[1], line


def test_the_score_panel_shows_each_score_and_the_median_filtered_track(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    scores = np.linspace(0, 1, int(window_with_dropout.size / RATE / 0.99))
    drawn = {line.get_label(): np.asarray(line.get_ydata(), dtype=float) for line in score_axes(figure).get_lines()}
    np.testing.assert_allclose(drawn["model score"], scores.astype(np.float32))
    np.testing.assert_allclose(drawn["median of 5"], median_filtered(scores.astype(np.float32), 5), rtol=1e-6)


def test_the_threshold_line_lies_in_the_score_panel_at_the_threshold(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    [threshold] = [line for line in score_axes(figure).get_lines() if line.get_label().startswith("threshold")]
    assert list(threshold.get_ydata()) == [0.5, 0.5]
    assert not any(line.get_label().startswith("threshold") for line in power_axes(figure).get_lines())


def test_the_encounter_is_marked_in_both_panels(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    span = [mdates_of(START + pd.Timedelta(seconds=s)) for s in (60, 120)]
    for axes in (power_axes(figure), score_axes(figure)):
        marked = [p for p in axes.patches if p.get_facecolor()[:3] != (0.827, 0.827, 0.827) and not p.get_hatch()]
        assert any(
            p.get_x() == pytest.approx(span[0]) and p.get_x() + p.get_width() == pytest.approx(span[1]) for p in marked
        ), axes.get_label()


def test_digital_silence_is_hatched_in_both_panels(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    for axes in (power_axes(figure), score_axes(figure)):
        [hatched] = [p for p in axes.patches if p.get_hatch()]
        assert mdates_of(START + pd.Timedelta(seconds=SILENCE_S[0])) == pytest.approx(hatched.get_x(), abs=2e-5)


def test_every_label_lies_inside_the_canvas(window_with_dropout):
    _, figure = figure_of(window_with_dropout)
    assert texts_outside_canvas(figure) == []


def test_a_window_without_scores_says_so_in_the_score_panel():
    spectrogram = window_spectrogram(mars_audio(60.0), RATE, START)
    figure = encounter_figure(
        spectrogram, None, (START, START + pd.Timedelta(seconds=10)), SUMMARY, DetectionRule(0.5, 1)
    )
    texts = [text.get_text() for text in score_axes(figure).texts]
    assert texts == ["no model scores for this window"]
    assert texts_outside_canvas(figure) == []


@pytest.mark.parametrize("snr_db", [3.0, 10.0])
def test_song_units_stand_out_from_the_noise_at_their_frequency(snr_db):
    """At MARS levels (in-band SNR 3-15 dB) each unit's column rises well above the colour its
    frequency has without song: the colour limits come from the song band, not the louder lows."""
    scene = song_scene(600.0, snr_db)
    spectrogram = window_spectrogram(render(scene).astype(np.float32), RATE, START)
    figure = encounter_figure(spectrogram, None, (START, START), SUMMARY)
    [mesh] = power_axes(figure).collections
    in_band = (spectrogram.freqs_hz >= SONG_BAND_HZ[0]) & (spectrogram.freqs_hz <= SONG_BAND_HZ[1])
    shade = np.asarray(mesh.norm(spectrogram.power_db[in_band]))  # 0..1 along the colour bar
    times = spectrogram.times_s
    in_unit = np.zeros(times.size, bool)
    for first, stop in song_units(scene):
        in_unit |= (times >= first) & (times < stop)
    no_song = (times < 0.3 * 600 - 10) | (times > 0.7 * 600 + 10)
    excess = (shade - np.median(shade[:, no_song], axis=1, keepdims=True)).max(axis=0)
    assert np.median(excess[in_unit]) >= 0.4
    assert np.percentile(excess[no_song], 90) <= 0.25


def mdates_of(timestamp: pd.Timestamp) -> float:
    from matplotlib import dates

    return dates.date2num(timestamp.tz_localize(None))
