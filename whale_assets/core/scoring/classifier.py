"""What every classifier offers, and the model's window grid: where each score's window lies in the input.

The model frames audio with a 1024-sample STFT every 300 samples; a window is 128 frames and
windows advance by whole frames, so `context_step_samples=10000` really steps 33 frames
(9 900 samples, 0.99 s at 10 kHz). Windows are framed without padding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

MAX_STEP_SAMPLES = 600_000  # one model window a minute (at 10 kHz): sparser scores miss whole songs


@dataclass(frozen=True)
class WindowGrid:
    sample_rate: int = 10_000
    frame_samples: int = 1024
    hop_samples: int = 300
    context_frames: int = 128
    step_frames: int = 33

    @classmethod
    def for_step(cls, context_step_samples: int = 10_000, **kwargs: int) -> WindowGrid:
        """The grid the model really uses for a requested `context_step_samples`."""
        hop = kwargs.get("hop_samples", cls.hop_samples)
        step_frames = context_step_samples // hop
        if step_frames < 1:
            raise ValueError(f"context_step_samples={context_step_samples} is below one hop ({hop} samples)")
        if context_step_samples > MAX_STEP_SAMPLES:
            raise ValueError(f"context_step_samples={context_step_samples} is above {MAX_STEP_SAMPLES} (a minute)")
        return cls(step_frames=step_frames, **kwargs)

    @property
    def context_samples(self) -> int:
        return self.hop_samples * (self.context_frames - 1) + self.frame_samples

    @property
    def step_samples(self) -> int:
        return self.hop_samples * self.step_frames

    @property
    def context_s(self) -> float:
        return self.context_samples / self.sample_rate

    @property
    def step_s(self) -> float:
        return self.step_samples / self.sample_rate

    def n_frames(self, n_samples: int) -> int:
        if n_samples < self.frame_samples:
            return 0
        return 1 + (n_samples - self.frame_samples) // self.hop_samples

    def n_windows(self, n_samples: int) -> int:
        frames = self.n_frames(n_samples)
        if frames < self.context_frames:
            return 0
        return 1 + (frames - self.context_frames) // self.step_frames

    def window_start_samples(self, n_windows: int) -> np.ndarray:
        return np.arange(n_windows, dtype=np.int64) * self.step_samples

    def window_offsets_s(self, n_windows: int) -> np.ndarray:
        """Start of each window in seconds from the start of the input."""
        return self.window_start_samples(n_windows) / self.sample_rate

    def samples_for_windows(self, n_windows: int) -> int:
        """Shortest input that yields exactly `n_windows` windows."""
        if n_windows <= 0:
            return 0
        return (n_windows - 1) * self.step_samples + self.context_samples


MODEL_CONTEXT_S = WindowGrid().context_s
"""Seconds of audio one model window judges (3.9124 s): the model's fixed framing, the same for
every classifier and step, so it is known without loading a model."""


class Classifier(Protocol):
    name: str
    """Stable identifier stored with every score, e.g. `energy` or the model handle."""

    grid: WindowGrid
    """Sample rate, context and true step of the windows that `score` returns."""

    neighbourhood_windows: int
    """Windows each side whose audio can change a window's score: 0 when each window is judged on
    its own samples alone (the model), more for a running noise floor. The day scorer reads this
    much margin around each chunk, so chunked scores equal one call."""

    def score(self, waveform: np.ndarray) -> np.ndarray:
        """float32 scores in [0, 1], one per window of `grid` over `waveform` (1-D, grid.sample_rate).

        Inputs shorter than one context yield an empty array.
        """
        ...
