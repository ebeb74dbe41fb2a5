"""Sound sources of a MARS-like scene besides song: ambient noise, ships, baleen whales, earthquakes.

Every source is a pure function of the scene seed and absolute time, computed per fixed block of
samples, so any piece of a scene renders the same whether alone or as part of a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import fft as sp_fft
from scipy import signal

BLOCK_S = 10
FIR_TAPS = 4097  # 0.26 s at 16 kHz: fine enough to shape the spectrum down to ~10 Hz
SONG_BAND_HZ = (100.0, 1500.0)
BALEEN_BAND_HZ = {"blue": (10.0, 110.0), "fin": (12.0, 35.0)}

# Independent random streams (SeedSequence entropy words) per source.
AMBIENT_STREAM = 1
DRIFT_STREAM = 2
SHIP_STREAM = 1_000
BALEEN_STREAM = 2_000
QUAKE_STREAM = 3_000
SONG_STREAM = 4_000


@lru_cache(maxsize=8)
def shaped_fir(kind: Literal["ambient", "ship"], sample_rate: int) -> np.ndarray:
    """Unit-energy FIR turning white noise into reddish ocean (or ship) noise of unit variance."""
    f = np.linspace(0.0, sample_rate / 2, 1025)
    corner, floor = (100.0, 1e-3) if kind == "ambient" else (40.0, 1e-4)
    # Most energy below ~200 Hz, falling ~6 dB/octave above the corner, nothing below a few Hz,
    # and a flat electronic floor higher up.
    psd = 1.0 / (1.0 + (f / corner) ** 2) * (f**4 / (f**4 + 4.0**4)) + floor
    fir = signal.firwin2(FIR_TAPS, f, np.sqrt(psd), fs=sample_rate)
    return fir / np.sqrt(np.sum(fir**2))


@lru_cache(maxsize=64)
def band_fraction(kind: Literal["ambient", "ship"], sample_rate: int, low_hz: float, high_hz: float) -> float:
    """Fraction of the shaped noise's power that lies in [low_hz, high_hz]."""
    power = np.abs(np.fft.rfft(shaped_fir(kind, sample_rate), 1 << 18)) ** 2
    f = np.fft.rfftfreq(1 << 18, 1.0 / sample_rate)
    return float(power[(f >= low_hz) & (f <= high_hz)].sum() / power.sum())


def block_samples(sample_rate: int) -> int:
    return BLOCK_S * sample_rate


def _white(seed: int, stream: int, block: int, part: int, n: int) -> np.ndarray:
    # block + 1 keeps the entropy words non-negative for the block before the first.
    return np.random.default_rng([seed, stream, block + 1, part]).standard_normal(n)


@lru_cache(maxsize=16)
def _fir_spectrum(kind: Literal["ambient", "ship"], sample_rate: int, n: int) -> tuple[int, np.ndarray]:
    fir = shaped_fir(kind, sample_rate)
    size = sp_fft.next_fast_len(n + fir.size - 1, real=True)
    return size, sp_fft.rfft(fir, size)


def colored_block(seed: int, stream: int, block: int, kind: Literal["ambient", "ship"], sample_rate: int) -> np.ndarray:
    """Block `block` of an endless unit-variance shaped-noise stream, continuous across blocks.

    A block's white noise is drawn as a head and a separate tail (the FIR's length less one) so
    the next block can reach its predecessor's tail without drawing the whole predecessor.
    """
    n = block_samples(sample_rate)
    tail = FIR_TAPS - 1
    white = np.concatenate(
        [
            _white(seed, stream, block - 1, 1, tail),
            _white(seed, stream, block, 0, n - tail),
            _white(seed, stream, block, 1, tail),
        ]
    )
    size, spectrum = _fir_spectrum(kind, sample_rate, n)
    return sp_fft.irfft(sp_fft.rfft(white, size) * spectrum, size)[tail : tail + n]


@lru_cache(maxsize=64)
def _drift_terms(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng([seed, DRIFT_STREAM])
    return rng.uniform(2 * 3600, 12 * 3600, 3), rng.uniform(0, 2 * np.pi, 3)


def drift_gain(seed: int, drift_db: float, t: np.ndarray | float) -> np.ndarray:
    """Amplitude factor of the slow (hours) ambient level drift; stays within +-drift_db."""
    periods, phases = _drift_terms(seed)
    t = np.asarray(t, dtype=np.float64)[..., None]
    level_db = drift_db * np.mean(np.sin(2 * np.pi * t / periods + phases), axis=-1)
    return 10.0 ** (level_db / 20.0)


def block_drift_gain(seed: int, drift_db: float, t: np.ndarray) -> np.ndarray:
    """drift_gain over a block's sample times, interpolated from whole seconds (it changes over hours)."""
    seconds = np.arange(np.floor(t[0]), np.ceil(t[-1]) + 1.0)
    return np.interp(t, seconds, drift_gain(seed, drift_db, seconds))


@dataclass(frozen=True)
class ShipPassage:
    """A ship passing: broadband, low-frequency-heavy noise rising to `peak_db` over background."""

    closest_s: float  # time of closest approach, seconds from the scene start
    duration_s: float  # audible from closest_s - duration_s/2 to closest_s + duration_s/2
    peak_db: float = 15.0  # broadband power over the ambient background at closest approach


def ship_power_ratio(ship: ShipPassage, t: np.ndarray) -> np.ndarray:
    """Ship power over ambient power: spherical spreading, 1/(1 + ((t-c)/tau)^2), zero at the edges."""
    peak = 10.0 ** (ship.peak_db / 10.0)
    edge = 0.01  # the passage's edges lie 20 dB below its peak ...
    tau = (ship.duration_s / 2) / np.sqrt(1 / edge - 1)
    ratio = 1.0 / (1.0 + ((t - ship.closest_s) / tau) ** 2)
    return peak * np.clip((ratio - edge) / (1 - edge), 0.0, None)  # ... and fade to nothing there


def ship_noise(seed: int, index: int, ship: ShipPassage, block: int, t: np.ndarray, sample_rate: int) -> np.ndarray:
    """Unit-variance ship noise for one block: shaped broadband plus blade-rate tonals."""
    broadband = colored_block(seed, SHIP_STREAM + index, block, "ship", sample_rate)
    rng = np.random.default_rng([seed, SHIP_STREAM + index])
    blade_hz = rng.uniform(6.0, 12.0)
    harmonics = np.arange(1, 9)
    weights = 1.0 / harmonics
    phases = rng.uniform(0, 2 * np.pi, harmonics.size)
    tonal = harmonic_sum(2 * np.pi * blade_hz * t, weights * np.exp(1j * phases))
    tonal /= np.sqrt(np.sum(weights**2) / 2)
    return np.sqrt(0.7) * broadband + np.sqrt(0.3) * tonal


BaleenKind = Literal["blue", "fin"]


@dataclass(frozen=True)
class BaleenCalls:
    """A bout of blue-whale A/B calls (~20 s, every 1-2 min) or fin-whale 20 Hz pulses (every 10-30 s)."""

    kind: BaleenKind
    start_s: float
    duration_s: float
    snr_db: float = 10.0  # in-band (blue 10-110 Hz, fin 12-35 Hz) call power over ambient, dB


@dataclass(frozen=True)
class BaleenCall:
    kind: BaleenKind
    start_s: float
    duration_s: float
    snr_db: float
    seed: int


def plan_baleen(seed: int, bouts: tuple[BaleenCalls, ...]) -> list[BaleenCall]:
    """Every call of every bout, in time order."""
    calls: list[BaleenCall] = []
    for index, bout in enumerate(bouts):
        rng = np.random.default_rng([seed, BALEEN_STREAM + index])
        interval = rng.uniform(60.0, 120.0) if bout.kind == "blue" else rng.uniform(10.0, 30.0)
        length = 20.0 if bout.kind == "blue" else 1.0
        t = bout.start_s + rng.uniform(0.0, min(interval, bout.duration_s) / 2)
        while t + length <= bout.start_s + bout.duration_s:
            calls.append(BaleenCall(bout.kind, t, length, bout.snr_db, int(rng.integers(2**31))))
            t += interval * rng.uniform(0.95, 1.05)
    return sorted(calls, key=lambda c: c.start_s)


def baleen_waveform(call: BaleenCall, sample_rate: int) -> np.ndarray:
    """A call with unit mean power in its band (scaled later to the wanted SNR)."""
    n = round(call.duration_s * sample_rate)
    t = np.arange(n) / sample_rate
    rng = np.random.default_rng(call.seed)
    if call.kind == "fin":
        f = 25.0 - 8.0 * t / call.duration_s  # ~1 s downsweep 25 -> 17 Hz
        wave = np.sin(2 * np.pi * np.cumsum(f) / sample_rate) * np.hanning(n)
    else:
        split = round(0.4 * n)  # A: pulsed ~90 Hz tone; B: 16 Hz tonal with a strong 3rd harmonic
        a_t, b_t = t[:split], t[split:] - t[split]
        carrier = 90.0 * rng.uniform(0.97, 1.03)
        a_part = np.sin(2 * np.pi * carrier * a_t) * (0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * a_t)) ** 2
        f0 = 16.5 - 1.0 * b_t / b_t[-1]
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate
        b_part = 0.4 * np.sin(phase) + np.sin(3 * phase) + 0.3 * np.sin(2 * phase)
        wave = np.concatenate(
            [a_part * signal.windows.tukey(split, 0.2), b_part * signal.windows.tukey(n - split, 0.2)]
        )
    return wave / np.sqrt(band_power(wave, sample_rate, *BALEEN_BAND_HZ[call.kind]))


@dataclass(frozen=True)
class Earthquake:
    """A short broadband burst (P/T phases) with a sharp onset and a decaying tail."""

    at_s: float
    peak_db: float = 20.0  # broadband power over ambient at the onset peak
    duration_s: float = 8.0


def quake_waveform(seed: int, index: int, quake: Earthquake, sample_rate: int) -> np.ndarray:
    """Unit-peak-power burst, energy mostly 2-60 Hz."""
    n = round(quake.duration_s * sample_rate)
    t = np.arange(n) / sample_rate
    noise = np.random.default_rng([seed, QUAKE_STREAM + index]).standard_normal(n)
    noise = signal.sosfiltfilt(signal.butter(4, (2.0, 60.0), "bandpass", fs=sample_rate, output="sos"), noise)
    noise /= np.std(noise)
    envelope = np.minimum(t / 0.3, 1.0) * np.exp(-t / (quake.duration_s / 4)) * signal.windows.tukey(n, 0.1)
    return noise * envelope / envelope.max()


def harmonic_sum(phase: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_h Im(weights[h-1] * exp(1j * h * phase)), by complex recurrence (far cheaper than sin per harmonic)."""
    base = np.exp(1j * phase)
    power = base.copy()
    total = np.zeros(phase.shape)
    for weight in weights:
        total += (weight * power).imag
        power *= base
    return total


def band_power(x: np.ndarray, sample_rate: int, low_hz: float, high_hz: float) -> float:
    """Mean power of `x` within [low_hz, high_hz] (periodogram over the whole of x)."""
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / sample_rate)
    weight = np.where((f == 0) | (f == sample_rate / 2), 1.0, 2.0)
    return float(np.sum((spectrum * weight)[(f >= low_hz) & (f <= high_hz)]) / x.size**2)
