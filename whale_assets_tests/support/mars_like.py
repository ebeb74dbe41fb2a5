"""Small MARS-like test audio: the archive's DC offset and reddish, drifting noise, plus song units.

Levels from the archive (see GUIDE.md): DC offset -0.0034 full scale, broadband RMS ~8e-5, most
noise energy below ~200 Hz. A unit's SNR is its in-band (50-1500 Hz) power over the noise's.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

DC_OFFSET = -0.0034
NOISE_RMS = 8e-5
BAND_HZ = (50.0, 1500.0)


def mars_noise(n: int, rate: int, rng: np.random.Generator, drift_db: float = 3.0) -> np.ndarray:
    """Reddish noise (one-pole low-pass at 200 Hz plus a little white) whose level drifts slowly, plus the DC offset."""
    white = rng.standard_normal(n)
    b, a = signal.butter(1, 200.0, btype="low", fs=rate)
    noise = signal.lfilter(b, a, white) + 0.15 * white
    noise *= NOISE_RMS / noise.std()
    drift = drift_db * np.sin(2 * np.pi * np.arange(n) / max(n, 1) + rng.uniform(0, 2 * np.pi))
    return (noise * 10 ** (drift / 20) + DC_OFFSET).astype(np.float32)


def in_band_power(audio: np.ndarray, rate: int) -> float:
    sos = signal.butter(5, BAND_HZ, btype="bandpass", fs=rate, output="sos")
    centred = np.asarray(audio, dtype=np.float64) - np.mean(audio)
    return float(np.mean(signal.sosfilt(sos, centred) ** 2))


def add_song(
    audio: np.ndarray,
    rate: int,
    rng: np.random.Generator,
    start_s: float,
    duration_s: float,
    snr_db: float,
    gap_s: tuple[float, float] = (0.5, 2.0),
) -> list[tuple[int, int]]:
    """Add FM harmonic units of 0.5-3 s with `gap_s` gaps at `snr_db` in-band; returns the unit sample ranges."""
    noise_power = in_band_power(audio, rate)
    units: list[tuple[int, int]] = []
    position, stop = int(start_s * rate), min(audio.size, int((start_s + duration_s) * rate))
    while True:
        length = int(rng.uniform(0.5, 3.0) * rate)
        if position + length > stop:
            return units
        unit = _fm_unit(length, rate, rng)
        unit *= np.sqrt(noise_power * 10 ** (snr_db / 10) / in_band_power(unit, rate))
        audio[position : position + length] += unit.astype(audio.dtype)
        units.append((position, position + length))
        position += length + int(rng.uniform(*gap_s) * rate)


def _fm_unit(length: int, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(length) / rate
    f_start = rng.uniform(150.0, 600.0)
    frequency = np.linspace(f_start, f_start * rng.uniform(0.6, 1.8), length)
    phase = 2 * np.pi * np.cumsum(frequency) / rate
    envelope = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.05)  # 50 ms ramps, not a Hann: units are flat-ish
    return envelope * (np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase))
