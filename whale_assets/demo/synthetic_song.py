"""Synthetic humpback-like song and ocean background noise for the offline demo."""

from __future__ import annotations

import numpy as np
from scipy import signal


def humpback_like_song(duration_s: float, sample_rate: int, rng: np.random.Generator, rms: float = 0.003) -> np.ndarray:
    """Repeating phrases of frequency-swept, harmonic units (roughly 150-1200 Hz), like song."""
    n = int(duration_s * sample_rate)
    song = np.zeros(n, dtype=np.float64)
    phrase = [_unit_recipe(rng) for _ in range(int(rng.integers(4, 7)))]
    position = 0
    while position < n:
        for f_start, f_end, length_s, gap_s in phrase:
            unit = _unit(f_start, f_end, length_s, sample_rate)
            stop = min(n, position + unit.size)
            song[position:stop] += unit[: stop - position]
            position = stop + int(gap_s * sample_rate)
            if position >= n:
                break
        position += int(rng.uniform(1.0, 3.0) * sample_rate)
    level = np.sqrt(np.mean(song**2)) or 1.0
    return (song * (rms / level)).astype(np.float32)


def ocean_noise(n_samples: int, sample_rate: int, rng: np.random.Generator, rms: float = 0.0008) -> np.ndarray:
    """Red-ish background noise: most energy at low frequency, as on a deep hydrophone."""
    white = rng.standard_normal(n_samples)
    b, a = signal.butter(1, 200, btype="low", fs=sample_rate)
    noise = signal.lfilter(b, a, white) + 0.15 * white
    return (noise * (rms / np.sqrt(np.mean(noise**2)))).astype(np.float32)


def _unit_recipe(rng: np.random.Generator) -> tuple[float, float, float, float]:
    f_start = float(rng.uniform(150, 600))
    return f_start, float(f_start * rng.uniform(0.6, 1.8)), float(rng.uniform(0.6, 2.5)), float(rng.uniform(0.3, 1.0))


def _unit(f_start: float, f_end: float, length_s: float, sample_rate: int) -> np.ndarray:
    t = np.arange(int(length_s * sample_rate)) / sample_rate
    frequency = np.linspace(f_start, f_end, t.size)
    phase = 2 * np.pi * np.cumsum(frequency) / sample_rate
    harmonics = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    return harmonics * np.hanning(t.size)
