"""A PNG per encounter: its window's spectrogram, the score trace, and the encounter marked.

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
from whale_assets.core.utc import naive_utc

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.collections import QuadMesh
    from matplotlib.figure import Figure

FIGURE_SIZE_IN = (10.0, 4.0)
DPI = 100  # 1000 x 400 px: the plot keeps about one pixel per spectrogram column
POWER_LABEL = "power spectral density (dB re 1 FS²/Hz)"
MIN_SHADE = pd.Timedelta(seconds=3)  # a very short encounter stays visible


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
    threshold: float | None = None,
) -> Figure:
    """Spectrogram against UTC clock time with a dB colour bar, digital silence blank and hatched,
    the encounter shaded and the scores on a second axis."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_SIZE_IN, dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    mesh = _draw_power(axes, spectrogram)
    _hatch_silence(axes, spectrogram)
    start, end = (naive_utc(t) for t in encounter_span_utc)
    axes.axvspan(start, max(end, start + MIN_SHADE), color="cyan", alpha=0.25, label="encounter")
    _clock_axis(axes, spectrogram)
    axes.set_ylabel("Hz")
    axes.set_title(summary.title())
    axes.legend(loc="upper left", fontsize="small", framealpha=0.6)
    if track is not None and track.size:
        _draw_scores(axes, track, threshold)
    if mesh is not None:
        figure.colorbar(mesh, ax=axes, label=POWER_LABEL, pad=0.01)
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
    threshold: float | None = None,
) -> bytes:
    """`encounter_figure` as PNG bytes."""
    return figure_png(encounter_figure(spectrogram, track, encounter_span_utc, summary, threshold))


def _draw_power(axes: Axes, spectrogram: Spectrogram) -> QuadMesh | None:
    """The spectrogram in dB, colour limits from the columns that hold audio; silence masked."""
    import matplotlib

    power = spectrogram.masked_db()
    audible = power.compressed()
    if not audible.size:
        return None
    low, high = np.percentile(audible, [5, 99.5])
    cmap = matplotlib.colormaps["magma"].with_extremes(bad="lightgrey")
    return axes.pcolormesh(
        spectrogram.times_utc, spectrogram.freqs_hz, power, shading="auto", vmin=low, vmax=high, cmap=cmap
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
            label="no data (digital silence)" if index == 0 else None,
        )


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


def _draw_scores(axes: Axes, track: np.ndarray, threshold: float | None) -> None:
    scores_axes = axes.twinx()
    scores_axes.plot(track["start_utc"], track["score"], color="white", linewidth=0.8)
    scores_axes.set_ylim(0, 1)
    scores_axes.set_ylabel("score")
    if threshold is not None:
        scores_axes.axhline(threshold, color="lime", linestyle="--", linewidth=0.8)


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
