"""Exact rational resampling between the archive's and the model's sample rates (16 kHz <-> 10 kHz)."""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy import signal


def polyphase_ratio(from_rate: int, to_rate: int) -> tuple[int, int]:
    """`(up, down)` reduced by their gcd: 16 000 -> 10 000 is (5, 8)."""
    for name, rate in (("from_rate", from_rate), ("to_rate", to_rate)):
        if not isinstance(rate, (int, np.integer)) or isinstance(rate, bool) or rate <= 0:
            raise ValueError(f"{name}={rate!r} must be a positive integer sample rate")
    g = gcd(int(from_rate), int(to_rate))
    return int(to_rate) // g, int(from_rate) // g


def resampled_length(n: int, from_rate: int, to_rate: int) -> int:
    """Length of `resample_exact` output for `n` input samples: ceil(n * up / down)."""
    up, down = polyphase_ratio(from_rate, to_rate)
    if n < 0:
        raise ValueError(f"n={n} must be >= 0")
    return -(-int(n) * up // down)


def resample_exact(x: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Polyphase resampling of 1-D `x` by the exact ratio `to_rate / from_rate`, float32 out.

    scipy's default Kaiser anti-aliasing filter; the signal is zero beyond both ends, so the
    first and last ~10 * max(up, down) / down output samples (10 for 16 -> 10 kHz) carry the filter's edge transient.
    """
    up, down = polyphase_ratio(from_rate, to_rate)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    if x.size == 0:
        return np.zeros(0, np.float32)
    if up == down:
        return x.copy()
    return signal.resample_poly(x, up, down).astype(np.float32, copy=False)
