"""A PNG per encounter: its window's spectrogram, the score trace, and the encounter marked."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal

from whale_assets.core.utc import naive_utc_ns

DISPLAY_RATE = 4_000  # humpback song lies mostly below 2 kHz
MAX_COLUMNS = 1_500  # about the figure's width in pixels; more only bloats the PNG


@dataclass(frozen=True)
class Spectrogram:
    start_utc: pd.Timestamp
    times_s: np.ndarray
    freqs_hz: np.ndarray
    power_db: np.ndarray


def window_spectrogram(audio: np.ndarray, sample_rate: int, start_utc: pd.Timestamp) -> Spectrogram:
    """Power spectrogram to 2 kHz, computed once per window and shared by its encounters' figures."""
    step = max(1, sample_rate // DISPLAY_RATE)
    display = signal.resample_poly(np.asarray(audio, dtype=np.float32), 1, step) if step > 1 else audio
    rate = sample_rate / step
    # ~1 s columns keep hour-long windows light; frequency resolution stays ~8 Hz.
    nperseg = 512 if display.size >= 512 else max(16, display.size)
    freqs, times, power = signal.spectrogram(display, fs=rate, nperseg=nperseg, noverlap=nperseg // 4)
    group = -(-times.size // MAX_COLUMNS)
    if group > 1:
        usable = times.size // group * group
        times = times[:usable].reshape(-1, group).mean(axis=1)
        power = power[:, :usable].reshape(power.shape[0], -1, group).mean(axis=2)
    return Spectrogram(pd.Timestamp(start_utc), times, freqs, 10 * np.log10(power + 1e-20))


def render_encounter_png(
    spectrogram: Spectrogram,
    track: np.ndarray | None,
    encounter_span_utc: tuple[pd.Timestamp, pd.Timestamp],
    title: str,
    threshold: float | None = None,
) -> bytes:
    """Spectrogram (minutes from the window start), scores on a second axis, encounter shaded."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4), dpi=100)
    axes = figure.add_subplot()
    minutes = spectrogram.times_s / 60
    if spectrogram.power_db.size:
        low, high = np.percentile(spectrogram.power_db, [5, 99.5])
        axes.pcolormesh(
            minutes, spectrogram.freqs_hz, spectrogram.power_db, shading="auto", vmin=low, vmax=high, cmap="magma"
        )
    axes.set_xlabel(f"minutes from {spectrogram.start_utc:%Y-%m-%d %H:%M:%S} UTC")
    axes.set_ylabel("Hz")
    start, end = (_minutes_from(spectrogram.start_utc, t) for t in encounter_span_utc)
    axes.axvspan(start, max(end, start + 0.05), color="cyan", alpha=0.25, label="encounter")
    if track is not None and track.size:
        scores_axes = axes.twinx()
        times = (track["start_utc"] - naive_utc_ns(spectrogram.start_utc)) / np.timedelta64(60, "s")
        scores_axes.plot(times, track["score"], color="white", linewidth=0.8)
        scores_axes.set_ylim(0, 1)
        scores_axes.set_ylabel("score")
        if threshold is not None:
            scores_axes.axhline(threshold, color="lime", linestyle="--", linewidth=0.8)
    axes.set_title(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def _minutes_from(origin: pd.Timestamp, value: pd.Timestamp) -> float:
    return float((naive_utc_ns(value) - naive_utc_ns(origin)) / np.timedelta64(60, "s"))


PREVIEW_MAX_BYTES = 150_000  # inline in the Dagster UI's metadata: larger data URIs slow the page


def preview_png(png: bytes, max_bytes: int = PREVIEW_MAX_BYTES) -> bytes:
    """`png` as is when it is at most `max_bytes`, else downscaled in steps of 0.7 until it is
    (gentle steps keep the preview as large as the limit allows: halving gave ~230 px wide)."""
    from matplotlib.image import thumbnail

    scale = 1.0
    preview = png
    while len(preview) > max_bytes and scale > 1 / 64:
        scale *= 0.7
        buffer = io.BytesIO()
        thumbnail(io.BytesIO(png), buffer, scale=scale)
        preview = buffer.getvalue()
    return preview
