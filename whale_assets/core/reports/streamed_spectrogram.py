"""The spectrogram of a long window computed from pieces read on demand, never the whole window.

A 6-hour 16 kHz window is 1.3 GB of float32 samples; its figure needs 800 columns. The columns
are computed a batch at a time from archive pieces read with a margin, so the result equals
`window_spectrogram` on the whole array (same decimation, segments, silent columns) while memory
stays at one piece.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import signal

from whale_assets.core.reports.spectrogram import DISPLAY_RATE, MAX_COLUMNS, Spectrogram, window_spectrogram
from whale_assets.core.scoring.day_scoring import GAP_BLOCK_SAMPLES, gap_intervals, touches_gaps

ReadRange = Callable[[int, int], np.ndarray]
"""`read(start, stop)`: the window's archive samples [start, stop) as a 1-D float32 array."""

WHOLE_WINDOW_SAMPLES = 16_000 * 1800  # up to 30 minutes (115 MB float32) the window is read at once
PIECE_SAMPLES = 16_000 * 600  # else ~10 minutes of archive samples per batch of columns
RESAMPLE_MARGIN = 256  # archive samples beyond the polyphase filter's reach (10 taps x step each side)


def streamed_spectrogram(
    read: ReadRange,
    n_samples: int,
    sample_rate: int,
    start_utc: pd.Timestamp,
    whole_window_samples: int = WHOLE_WINDOW_SAMPLES,
    piece_samples: int = PIECE_SAMPLES,
) -> Spectrogram:
    """`window_spectrogram` of the window's `n_samples` samples, reading at most about one piece at a time."""
    step = max(1, sample_rate // DISPLAY_RATE)
    n_display = -(-n_samples // step)
    if n_samples <= whole_window_samples or n_display < 2 * 512:
        return window_spectrogram(read(0, n_samples), sample_rate, start_utc)
    nperseg, noverlap = 512, 512 // 4
    hop = nperseg - noverlap
    n_segments = (n_display - noverlap) // hop
    group = max(1, -(-n_segments // MAX_COLUMNS))
    n_columns = n_segments // group
    columns_per_batch = max(1, piece_samples // (group * hop * step))
    align = math.lcm(step, GAP_BLOCK_SAMPLES)  # pieces start and end on whole gap blocks and decimation steps
    times, powers, silents = [], [], []
    for first_column in range(0, n_columns, columns_per_batch):
        stop_column = min(n_columns, first_column + columns_per_batch)
        first_segment, stop_segment = first_column * group, stop_column * group
        display_start = first_segment * hop
        display_stop = (stop_segment - 1) * hop + nperseg
        needed_start, needed_stop = display_start * step, min(n_samples, display_stop * step)
        piece_start = max(0, (needed_start - RESAMPLE_MARGIN - 2 * GAP_BLOCK_SAMPLES) // align * align)
        piece_stop = min(n_samples, -(-(needed_stop + RESAMPLE_MARGIN + 2 * GAP_BLOCK_SAMPLES) // align) * align)
        audio = np.asarray(read(piece_start, piece_stop), dtype=np.float32)
        display = signal.resample_poly(audio, 1, step) if step > 1 else audio
        offset = (display_start * step - piece_start) // step
        display = display[offset : offset + display_stop - display_start]
        freqs, _, power = signal.spectrogram(display, fs=sample_rate / step, nperseg=nperseg, noverlap=noverlap)
        segments = np.arange(first_segment, stop_segment, dtype=np.int64)
        first = segments * hop * step
        gaps = gap_intervals(audio) + piece_start
        silent = touches_gaps(_merged(gaps), first, first + nperseg * step)
        centres = (segments * hop + nperseg / 2) / (sample_rate / step)
        count = stop_column - first_column
        times.append(centres.reshape(count, group).mean(axis=1))
        powers.append(power[:, : count * group].reshape(power.shape[0], count, group).mean(axis=2))
        silents.append(silent.reshape(count, group).any(axis=1))
        del audio, display, power
    power_db = 10 * np.log10(np.concatenate(powers, axis=1) + 1e-20)
    return Spectrogram(pd.Timestamp(start_utc), np.concatenate(times), freqs, power_db, np.concatenate(silents))


def _merged(gaps: np.ndarray) -> np.ndarray:
    """Sorted gaps with overlapping or touching ones joined (`touches_gaps` wants them disjoint)."""
    if len(gaps) < 2:
        return gaps
    merged = [list(gaps[0])]
    for start, stop in gaps[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    return np.array(merged, dtype=np.int64)
