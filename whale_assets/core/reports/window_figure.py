"""A PNG per encounter: its window's spectrogram over its score track, the encounter marked in both.

`encounter_figure` builds the matplotlib Figure (what tests inspect), `figure_png` renders it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from whale_assets.core.reports.spectrogram import Spectrogram
from whale_assets.core.scoring.day_scoring import runs
from whale_assets.core.scoring.pooling import DetectionRule, filtered_by_stretch, stretch_starts
from whale_assets.core.scoring.track import infer_step_ns
from whale_assets.core.utc import naive_utc

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import QuadMesh
    from matplotlib.figure import Figure

FIGURE_SIZE_IN = (11.0, 5.6)
DPI = 100  # 1100 x 560 px: the spectrogram keeps about one pixel per column
HEIGHT_RATIOS = (3, 1)  # spectrogram over scores
POWER_LABEL = "PSD (dB re 1 FS²/Hz)"
FREQ_LIMITS_HZ = (0.0, 2000.0)
SONG_BAND_HZ = (100.0, 1500.0)
"""Colour limits come from this band, where humpback units lie: the louder ship and wave noise
below 100 Hz saturates rather than darkening the band the figure is for."""
COLOUR_PERCENTILES = (5.0, 99.8)
"""The band's noise floor starts just above black; the loudest units reach the top colour."""
COLOUR_MAP = "magma"
MIN_SHADE = pd.Timedelta(seconds=3)  # a very short encounter stays visible
SPECTROGRAM_LABEL = "spectrogram"
SCORES_LABEL = "scores"
ENCOUNTER_COLOUR = "tab:cyan"
SCORE_COLOUR = "tab:blue"
THRESHOLD_COLOUR = "tab:red"


@dataclass(frozen=True)
class EncounterSummary:
    """What the figure's title says about the encounter (its `whale_results` row)."""

    encounter_id: str
    window_id: str
    pooled_score: float
    """NaN when the window has no scores."""
    detected: bool

    def title(self) -> str:
        score = "no score" if math.isnan(self.pooled_score) else f"pooled {self.pooled_score:.2f}"
        detection = "detected" if self.detected else "not detected"
        return f"{self.encounter_id} · window {self.window_id} · {score} · {detection}"


def encounter_figure(
    spectrogram: Spectrogram,
    track: np.ndarray | None,
    encounter_span_utc: tuple[pd.Timestamp, pd.Timestamp],
    summary: EncounterSummary,
    rule: DetectionRule | None = None,
) -> Figure:
    """The spectrogram (dB colour bar, digital silence hatched) over the score track in its own
    panel on the same UTC axis, with the threshold and the encounter span marked in both.

    Axes are labelled `SPECTROGRAM_LABEL` and `SCORES_LABEL` so tests find them by role."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    grid = figure.add_gridspec(2, 2, height_ratios=HEIGHT_RATIOS, width_ratios=(1, 0.018))
    power_axes = figure.add_subplot(grid[0, 0], label=SPECTROGRAM_LABEL)
    score_axes = figure.add_subplot(grid[1, 0], sharex=power_axes, label=SCORES_LABEL)
    mesh = _draw_power(power_axes, spectrogram)
    start, end = (naive_utc(t) for t in encounter_span_utc)
    end = max(end, start + MIN_SHADE)
    for axes in (power_axes, score_axes):
        _hatch_silence(axes, spectrogram)
    _mark_encounter(power_axes, score_axes, start, end)
    power_axes.set_ylabel("frequency (Hz)")
    power_axes.set_ylim(*FREQ_LIMITS_HZ)
    power_axes.set_title(summary.title())
    power_axes.tick_params(labelbottom=False)
    _draw_scores(score_axes, track, rule)
    _clock_axis(score_axes, spectrogram)
    if mesh is not None:
        figure.colorbar(mesh, cax=figure.add_subplot(grid[0, 1], label="<colorbar>"), label=POWER_LABEL)
    handles = [h for axes in (power_axes, score_axes) for h in axes.get_legend_handles_labels()[0]]
    labels = [label for axes in (power_axes, score_axes) for label in axes.get_legend_handles_labels()[1]]
    unique = dict(zip(labels, handles, strict=True))
    figure.legend(
        unique.values(), unique.keys(), loc="outside lower center", ncols=len(unique), fontsize="small", frameon=False
    )
    return figure


def figure_png(figure: Figure) -> bytes:
    """`figure` as a 256-colour PNG: a noisy spectrogram stored as RGBA is ~3x larger and looks the same."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return _palette_png(np.asarray(canvas.buffer_rgba())[..., :3])


def render_encounter_png(
    spectrogram: Spectrogram,
    track: np.ndarray | None,
    encounter_span_utc: tuple[pd.Timestamp, pd.Timestamp],
    summary: EncounterSummary,
    rule: DetectionRule | None = None,
) -> bytes:
    """`encounter_figure` as PNG bytes."""
    return figure_png(encounter_figure(spectrogram, track, encounter_span_utc, summary, rule))


def colour_limits(spectrogram: Spectrogram) -> tuple[float, float] | None:
    """dB limits from the song band's columns that hold audio (None when none does)."""
    in_band = (spectrogram.freqs_hz >= SONG_BAND_HZ[0]) & (spectrogram.freqs_hz <= SONG_BAND_HZ[1])
    audible = spectrogram.masked_db()[in_band].compressed()
    if not audible.size:
        return None
    low, high = np.percentile(audible, COLOUR_PERCENTILES)
    return float(low), float(high)


def _draw_power(axes: Axes, spectrogram: Spectrogram) -> QuadMesh | None:
    """The spectrogram in dB; silence masked (drawn in the hatched grey behind it)."""
    import matplotlib

    limits = colour_limits(spectrogram)
    if limits is None:
        return None
    cmap = matplotlib.colormaps[COLOUR_MAP].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    return axes.pcolormesh(
        spectrogram.times_utc,
        spectrogram.freqs_hz,
        spectrogram.masked_db(),
        shading="auto",
        vmin=limits[0],
        vmax=limits[1],
        cmap=cmap,
        rasterized=True,
    )


def _hatch_silence(axes: Axes, spectrogram: Spectrogram) -> None:
    """Hatch each stretch of silent columns, so "no data" reads as such in print too."""
    times = spectrogram.times_utc
    if times.size < 2:
        return
    half = (times[1] - times[0]) / 2
    for index, (first, stop) in enumerate(runs(spectrogram.silent)):
        axes.axvspan(
            times[first] - half,
            times[stop - 1] + half,
            facecolor="lightgrey",
            edgecolor="grey",
            hatch="//",
            linewidth=0,
            zorder=0,
            label="no data (digital silence)" if index == 0 else None,
        )


def _mark_encounter(power_axes: Axes, score_axes: Axes, start: pd.Timestamp, end: pd.Timestamp) -> None:
    """A bar along the spectrogram's top and dashed edges (a wash of colour would tint the song),
    and the span shaded in the score panel."""
    power_axes.axvspan(start, end, ymin=0.97, ymax=1.0, color=ENCOUNTER_COLOUR, label="encounter")
    for edge in (start, end):
        power_axes.axvline(edge, color=ENCOUNTER_COLOUR, linestyle="--", linewidth=1.0)
    score_axes.axvspan(start, end, color=ENCOUNTER_COLOUR, alpha=0.2, linewidth=0, zorder=0)


def _clock_axis(axes: Axes, spectrogram: Spectrogram) -> None:
    """UTC clock time across the window, HH:MM when ticks fall on whole minutes; the date in the label."""
    from matplotlib import dates

    locator = dates.AutoDateLocator(minticks=4, maxticks=12)
    formatter = dates.AutoDateFormatter(locator)
    formatter.scaled[1 / dates.MINUTES_PER_DAY] = "%H:%M"
    formatter.scaled[1 / dates.SEC_PER_DAY] = "%H:%M:%S"
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(formatter)
    axes.set_xlabel(f"UTC, {naive_utc(spectrogram.start_utc):%Y-%m-%d}")
    times = spectrogram.times_utc
    if times.size > 1:  # the window, not matplotlib's margins
        half = (times[1] - times[0]) / 2
        axes.set_xlim(times[0] - half, times[-1] + half)


def _draw_scores(axes: Axes, track: np.ndarray | None, rule: DetectionRule | None) -> None:
    """Each model score (thin) and the median-filtered score the threshold applies to (bold),
    lines broken where the track has no windows (sifted out or silent); without a rule, the scores only."""
    threshold = rule.threshold if rule is not None else None
    kernel = rule.median_filter_windows if rule is not None else 1
    axes.set_ylim(0, 1)
    axes.set_yticks([0, 0.5, 1])
    axes.set_ylabel("score")
    axes.grid(axis="y", color="0.9", linewidth=0.6)
    if track is not None and track.size:
        times = track["start_utc"]
        step = infer_step_ns(times)
        filtered = filtered_by_stretch(times, track["score"], step, kernel)
        raw_label = "model score"
        axes.plot(*_broken(times, track["score"], step), color="0.55", linewidth=0.6, label=raw_label)
        if kernel > 1:
            axes.plot(*_broken(times, filtered, step), color=SCORE_COLOUR, linewidth=1.4, label=f"median of {kernel}")
    else:
        axes.text(
            0.5,
            0.75,
            "no model scores for this window",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="0.3",
            bbox={"facecolor": "white", "edgecolor": "none"},
            zorder=3,
        )
    if threshold is not None:
        axes.axhline(threshold, color=THRESHOLD_COLOUR, linestyle="--", linewidth=1.0, label=f"threshold {threshold:g}")


def _broken(times: np.ndarray, values: np.ndarray, step_ns: int | None) -> tuple[np.ndarray, np.ndarray]:
    """`times`, `values` with a NaN where a new stretch starts (`stretch_starts`), so no line is drawn across a gap."""
    values = np.asarray(values, dtype=np.float64)
    if step_ns is None or times.size < 2:
        return times, values
    gaps = np.flatnonzero(stretch_starts(times, step_ns)[1:]) + 1
    return np.insert(times, gaps, times[gaps - 1]), np.insert(values, gaps, np.nan)


PREVIEW_MAX_BYTES = 150_000  # inline in the Dagster UI's metadata: larger data URIs slow the page


def preview_png(png: bytes, max_bytes: int = PREVIEW_MAX_BYTES) -> bytes:
    """`png` as is when it is at most `max_bytes`, else downscaled in steps of 0.7 until it is
    (gentle steps keep the preview as large as the limit allows: halving gave ~230 px wide)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    scale = 1.0
    preview = png
    while len(preview) > max_bytes and scale > 1 / 64:
        scale *= 0.7
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        preview = _palette_png(np.asarray(image.resize(size, Image.Resampling.LANCZOS)))
    return preview


def _palette_png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    palette = Image.fromarray(np.ascontiguousarray(rgb)).quantize(
        256, Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE
    )
    palette.save(buffer, format="png", optimize=True)
    return buffer.getvalue()
