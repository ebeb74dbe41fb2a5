"""The spectrogram of an encounter window, with the columns that hold digital silence marked."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal

from whale_assets.core.scoring.day_scoring import gap_intervals, touches_gaps
from whale_assets.core.utc import NS_PER_S, naive_utc_ns

DISPLAY_RATE = 4_000  # humpback song lies mostly below 2 kHz
MAX_COLUMNS = 800  # about the plot's width in pixels; more only bloats the PNG


@dataclass(frozen=True)
class Spectrogram:
    start_utc: pd.Timestamp
    times_s: np.ndarray
    """Centre of each column, seconds from `start_utc`."""
    freqs_hz: np.ndarray
    power_db: np.ndarray
    """Power spectral density, dB re 1 (full scale)²/Hz; frequencies down, columns across."""
    silent: np.ndarray
    """True for each column whose audio holds digital silence (`gap_intervals`): no data, not quiet."""

    @property
    def times_utc(self) -> np.ndarray:
        """Centre of each column as naive UTC `datetime64[ns]`."""
        offsets = np.round(self.times_s * NS_PER_S).astype("timedelta64[ns]")
        return naive_utc_ns(self.start_utc) + offsets

    def masked_db(self) -> np.ma.MaskedArray:
        """`power_db` with the silent columns masked."""
        mask = np.broadcast_to(self.silent, self.power_db.shape)
        return np.ma.masked_array(self.power_db, mask=mask.copy())


def window_spectrogram(audio: np.ndarray, sample_rate: int, start_utc: pd.Timestamp) -> Spectrogram:
    """Power spectrogram to 2 kHz, computed once per window and shared by its encounters' figures."""
    step = max(1, sample_rate // DISPLAY_RATE)
    display = signal.resample_poly(np.asarray(audio, dtype=np.float32), 1, step) if step > 1 else audio
    rate = sample_rate / step
    # ~0.1 s segments (~8 Hz resolution), averaged to at most MAX_COLUMNS columns.
    nperseg = 512 if display.size >= 512 else max(16, display.size)
    hop = nperseg - nperseg // 4
    freqs, times, power = signal.spectrogram(display, fs=rate, nperseg=nperseg, noverlap=nperseg // 4)
    first = np.arange(times.size, dtype=np.int64) * hop * step  # each segment's archive samples
    silent = touches_gaps(gap_intervals(audio), first, first + nperseg * step)
    group = -(-times.size // MAX_COLUMNS)
    if group > 1:
        usable = times.size // group * group
        times = times[:usable].reshape(-1, group).mean(axis=1)
        power = power[:, :usable].reshape(power.shape[0], -1, group).mean(axis=2)
        silent = np.any(silent[:usable].reshape(-1, group), axis=1)
    return Spectrogram(pd.Timestamp(start_utc), times, freqs, 10 * np.log10(power + 1e-20), silent)
