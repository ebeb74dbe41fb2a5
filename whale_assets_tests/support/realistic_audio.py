"""Small MARS-like test signals at 10 kHz: reddish ambient noise at archive level with the DC
offset, humpback-like units at a chosen in-band SNR, ships, blue and fin whales, earthquakes.

Levels follow the archive (GUIDE §1): DC offset -0.0034 full scale, broadband noise RMS ~8e-5,
most noise energy below ~200 Hz. In-band SNR is unit power in 100-1500 Hz over the ambient
power in 100-1500 Hz, while the unit sounds.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

RATE = 10_000
DC_OFFSET = -0.0034
NOISE_RMS = 8e-5
SONG_BAND_HZ = (100.0, 1500.0)


def band_power(x: np.ndarray, low_hz: float, high_hz: float, rate: int = RATE) -> float:
    """Mean power of `x` within [low_hz, high_hz] (periodogram of the whole of x)."""
    spectrum = np.abs(np.fft.rfft(x - np.mean(x))) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / rate)
    return float(2.0 * spectrum[(f >= low_hz) & (f <= high_hz)].sum() / x.size**2)


def ambient(duration_s: float, seed: int, rms: float = NOISE_RMS, dc: float = DC_OFFSET) -> np.ndarray:
    """Reddish ocean noise (corner ~100 Hz, -6 dB/octave above, a flat floor higher up) plus DC, float64."""
    rng = np.random.default_rng(seed)
    white = rng.standard_normal(int(duration_s * RATE))
    red = signal.sosfilt(signal.butter(1, 100.0, fs=RATE, output="sos"), white) * 12.0 + 0.1 * white
    red = signal.sosfilt(signal.butter(2, 5.0, "highpass", fs=RATE, output="sos"), red)
    return red * (rms / red.std()) + dc


def ambient_band_power(noise: np.ndarray) -> float:
    return band_power(noise, *SONG_BAND_HZ)


def song_units(
    duration_s: float, snr_db: float, noise_band_power: float, seed: int, start_gap_s: float = 0.5
) -> np.ndarray:
    """Humpback-like units (FM sweeps, harmonic moans, grunts; 0.3-4 s) with 0.5-3 s gaps, float64.

    Each unit's power in 100-1500 Hz is `snr_db` over `noise_band_power` while it sounds.
    """
    rng = np.random.default_rng(seed)
    out = np.zeros(int(duration_s * RATE))
    t0 = start_gap_s
    kinds = ("sweep", "moan", "grunt")
    while True:
        kind = kinds[rng.integers(3)]
        length = {"sweep": rng.uniform(0.5, 2.0), "moan": rng.uniform(1.0, 4.0), "grunt": rng.uniform(0.3, 0.8)}[kind]
        if t0 + length > duration_s:
            break
        n = int(length * RATE)
        t = np.arange(n) / RATE
        if kind == "sweep":
            f_start, f_end = rng.uniform(200, 600), rng.uniform(600, 1400)
            if rng.random() < 0.5:
                f_start, f_end = f_end, f_start
            f = f_start + (f_end - f_start) * t / length
            phase = 2 * np.pi * np.cumsum(f) / RATE
            unit = np.sin(phase) + 0.3 * np.sin(2 * phase)
        elif kind == "moan":
            f0 = rng.uniform(120, 400) * (1 + 0.05 * np.sin(2 * np.pi * t / length))
            phase = 2 * np.pi * np.cumsum(f0) / RATE
            unit = sum(np.sin(h * phase) / h for h in range(1, 5))
        else:
            f0 = rng.uniform(100, 200) * (1 - 0.3 * t / length)
            phase = 2 * np.pi * np.cumsum(f0) / RATE
            unit = sum(np.sin(h * phase) / h**0.5 for h in range(1, 6))
        unit = unit * signal.windows.tukey(n, 0.2)
        unit *= np.sqrt(noise_band_power * 10 ** (snr_db / 10) / band_power(unit, *SONG_BAND_HZ))
        i = int(t0 * RATE)
        out[i : i + n] += unit
        t0 += length + rng.uniform(0.5, 3.0)
    return out


def ship(duration_s: float, seed: int, peak_db: float, noise_rms: float = NOISE_RMS) -> np.ndarray:
    """A ship passing at mid-duration: low-heavy broadband (corner 40 Hz) plus blade lines 8-80 Hz."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE)
    t = np.arange(n) / RATE
    white = rng.standard_normal(n)
    broadband = signal.sosfilt(signal.butter(1, 40.0, fs=RATE, output="sos"), white) * 25.0 + 0.01 * white
    blade = rng.uniform(6, 12)
    lines = sum(np.sin(2 * np.pi * h * blade * t + rng.uniform(0, 6.3)) / h for h in range(1, 9))
    noise = broadband / broadband.std() * np.sqrt(0.7) + lines / lines.std() * np.sqrt(0.3)
    tau = duration_s / 6
    envelope = 1.0 / (1.0 + ((t - duration_s / 2) / tau) ** 2)
    return noise * np.sqrt(envelope) * noise_rms * 10 ** (peak_db / 20)


BLUE_BAND_HZ = (10.0, 110.0)
FIN_BAND_HZ = (12.0, 35.0)


def blue_call(snr_db: float, noise_power: float, seed: int, duration_s: float = 20.0) -> np.ndarray:
    """A blue-whale A (pulsed ~90 Hz) then B (16 Hz with a strong 3rd harmonic) call.

    Its power in 10-110 Hz is `snr_db` over `noise_power` (the noise's, `band_power(noise, *BLUE_BAND_HZ)`).
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE)
    t = np.arange(n) / RATE
    split = int(0.4 * n)
    a = np.sin(2 * np.pi * 90.0 * rng.uniform(0.97, 1.03) * t[:split]) * (0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t[:split])) ** 2
    tb = t[split:] - t[split]
    phase = 2 * np.pi * np.cumsum(16.5 - tb / tb[-1]) / RATE
    b = 0.4 * np.sin(phase) + np.sin(3 * phase) + 0.3 * np.sin(2 * phase)
    call = np.concatenate([a * signal.windows.tukey(split, 0.2), b * signal.windows.tukey(n - split, 0.2)])
    return call * np.sqrt(noise_power * 10 ** (snr_db / 10) / band_power(call, *BLUE_BAND_HZ))


def fin_pulse(snr_db: float, noise_power: float) -> np.ndarray:
    """A 1 s fin-whale downsweep 25 -> 17 Hz, `snr_db` over `noise_power` in 12-35 Hz."""
    n = RATE
    t = np.arange(n) / RATE
    pulse = np.sin(2 * np.pi * np.cumsum(25.0 - 8.0 * t) / RATE) * np.hanning(n)
    return pulse * np.sqrt(noise_power * 10 ** (snr_db / 10) / band_power(pulse, *FIN_BAND_HZ))


def earthquake(peak_db: float, seed: int, noise_rms: float = NOISE_RMS, duration_s: float = 8.0) -> np.ndarray:
    """A short broadband burst, mostly 2-60 Hz, sharp onset and decaying tail."""
    n = int(duration_s * RATE)
    t = np.arange(n) / RATE
    burst = np.random.default_rng(seed).standard_normal(n)
    burst = signal.sosfiltfilt(signal.butter(4, (2.0, 60.0), "bandpass", fs=RATE, output="sos"), burst)
    burst /= burst.std()
    envelope = np.minimum(t / 0.3, 1.0) * np.exp(-t / (duration_s / 4))
    return burst * envelope * noise_rms * 10 ** (peak_db / 20)


def add(audio: np.ndarray, at_s: float, sound: np.ndarray) -> None:
    i = int(at_s * RATE)
    audio[i : i + sound.size] += sound[: audio.size - i]
