"""What every classifier offers: scores on the model's window grid for a 10 kHz waveform."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from whale_assets.core.model_grid import WindowGrid


class Classifier(Protocol):
    name: str
    """Stable identifier stored with every score, e.g. `energy` or the model handle."""

    grid: WindowGrid
    """Sample rate, context and true step of the windows that `score` returns."""

    def score(self, waveform: np.ndarray) -> np.ndarray:
        """float32 scores in [0, 1], one per window of `grid` over `waveform` (1-D, grid.sample_rate).

        Inputs shorter than one context yield an empty array.
        """
        ...
