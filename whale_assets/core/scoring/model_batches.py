"""How a waveform is cut into model calls: chunks of K windows, stacked along the batch axis.

One call on a whole hour needs >15 GB and batch-1 calls per window waste hours on call overhead,
so the waveform is cut into chunks of `chunk_windows` (K) windows that overlap by exactly one
context minus one step: chunk c covers windows [c*K, (c+1)*K) with audio
[c*K*step, c*K*step + samples_for_windows(K)). Equal chunks are stacked, `batch_rows` per call;
the windows left over (fewer than K) form one last call of their own. A model that judges each
window on its own samples (the humpback model's per-window PCEN) scores every window exactly as
one call on the whole waveform would.

Shared by the in-process model (`sources/humpback_model.py`) and the served one
(`sources/model_server/`), so both score the same windows at the same times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from whale_assets.core.scoring.classifier import WindowGrid


@dataclass(frozen=True)
class ModelBatch:
    """One model call: `len(row_starts)` equal chunks of `row_samples` samples, each yielding `row_windows` windows."""

    first_window: int
    row_windows: int
    row_starts: tuple[int, ...]
    row_samples: int

    @property
    def stop_window(self) -> int:
        return self.first_window + len(self.row_starts) * self.row_windows

    def stack(self, waveform: np.ndarray) -> np.ndarray:
        """The call's input, [rows, row_samples] float32, cut from the 1-D `waveform`."""
        return np.stack([waveform[start : start + self.row_samples] for start in self.row_starts])


def plan_model_batches(grid: WindowGrid, n_samples: int, chunk_windows: int, batch_rows: int) -> Iterator[ModelBatch]:
    """The calls that score every `grid` window of an `n_samples` waveform, in window order."""
    if chunk_windows < 1 or batch_rows < 1:
        raise ValueError(f"chunk_windows and batch_rows must be >= 1, got {chunk_windows} and {batch_rows}")
    n_total = grid.n_windows(n_samples)
    k, step = chunk_windows, grid.step_samples
    n_full = n_total // k
    chunk_samples = grid.samples_for_windows(k)
    for first in range(0, n_full, batch_rows):
        chunks = range(first, min(first + batch_rows, n_full))
        yield ModelBatch(first * k, k, tuple(c * k * step for c in chunks), chunk_samples)
    ragged = n_total - n_full * k
    if ragged:
        yield ModelBatch(n_full * k, ragged, (n_full * k * step,), grid.samples_for_windows(ragged))
