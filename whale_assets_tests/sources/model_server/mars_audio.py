"""Test audio at the archive's level for the served-model tests."""

from __future__ import annotations

import numpy as np


def mars_noise(seconds: float, seed: int) -> np.ndarray:
    """The archive's background: DC offset near -0.0034 full scale, reddish noise ~8e-5 RMS."""
    white = np.random.default_rng(seed).normal(0, 1, int(seconds * 10_000))
    red = np.cumsum(white) * 0.02
    red -= np.convolve(red, np.ones(501) / 501, mode="same")  # keep it from wandering off
    return (-0.0034 + red / red.std() * 8e-5).astype(np.float32)
