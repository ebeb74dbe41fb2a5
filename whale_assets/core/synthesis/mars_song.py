"""Humpback song for MARS-like scenes: units (synthetic or cut from a real recording) in phrases and themes."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
from scipy import signal
from scipy.io import wavfile

from whale_assets.core.synthesis.mars_sources import SONG_BAND_HZ, band_power, harmonic_sum

UnitKind = Literal["moan", "sweep", "grunt", "shriek", "recorded"]


@dataclass(frozen=True)
class SongSession:
    """A bout (minutes) or session (hours) of humpback song."""

    start_s: float  # seconds from the scene start
    duration_s: float
    snr_db: float = 10.0  # in-band (100-1500 Hz) power of the units over the ambient noise around them


@dataclass(frozen=True, eq=False)
class SongRecording:
    """A real song recording at the scene's sample rate, mean removed, with its units located."""

    samples: np.ndarray
    sample_rate: int
    units: tuple[tuple[int, int], ...]  # [first, stop) sample of each unit
    unit_types: tuple[str, ...] = ()  # an analyst's label per unit, when known
    bouts: tuple[RecordedBout, ...] = ()  # when given, sessions replay these bouts at their recorded offsets
    bout_gap_s: tuple[float, float] = (5.0, 60.0)  # silence between replayed bouts, drawn uniformly

    def unit(self, index: int) -> np.ndarray:
        first, stop = self.units[index]
        return self.samples[first:stop] * signal.windows.tukey(
            stop - first, min(1.0, 0.1 * self.sample_rate / (stop - first))
        )


@dataclass(frozen=True)
class RecordedBout:
    """One recording's units at the offsets where they were sung."""

    name: str
    span_s: float  # from the recording's start to the end of its last unit
    units: tuple[tuple[int, float], ...]  # (index into SongRecording.units, offset_s from the bout start)


@dataclass(frozen=True)
class UnitRecipe:
    """How one unit of a phrase sounds; instances in repeated phrases vary it slightly."""

    kind: UnitKind
    duration_s: float
    f_start_hz: float = 0.0
    f_end_hz: float = 0.0
    harmonics: int = 1
    vibrato_hz: float = 0.0
    pulse_hz: float = 0.0
    noise_share: float = 0.0
    recorded_index: int = -1  # which unit of the SongRecording, for kind "recorded"


@dataclass(frozen=True)
class PlannedUnit:
    start_s: float
    duration_s: float
    recipe: UnitRecipe
    pitch: float  # frequency factor of this instance
    power_ratio: float  # mean unit power (all frequencies) over in-band ambient power at the unit
    in_band_fraction: float  # share of the unit's power within 100-1500 Hz
    seed: int


def load_song_recording(path: str | os.PathLike[str], sample_rate: int = 16_000) -> SongRecording:
    """Read a 10 kHz song WAV, resample it to `sample_rate` (polyphase), remove its mean, find its units."""
    rate, data = wavfile.read(path)
    samples = data.astype(np.float64)
    if data.dtype.kind == "i":
        samples /= np.iinfo(data.dtype).max
    samples = samples.reshape(samples.shape[0], -1)[:, 0]
    g = np.gcd(sample_rate, rate)
    samples = signal.resample_poly(samples, sample_rate // g, rate // g)
    samples -= samples.mean()
    return SongRecording(_without_background(samples, sample_rate), sample_rate, cut_units(samples, sample_rate))


def _without_background(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Spectral subtraction of the recording's own background (its quietest fifth of frames), so
    units carry no foreign noise floor into a scene whose noise is generated separately."""
    _, _, spectrum = signal.stft(samples, sample_rate, nperseg=512)
    magnitude = np.abs(spectrum)
    frame_level = magnitude.sum(axis=0)
    floor = magnitude[:, frame_level <= np.percentile(frame_level, 20)].mean(axis=1, keepdims=True)
    gain = np.clip(1.0 - 2.0 * floor / (magnitude + 1e-30), 0.0, 1.0)
    _, cleaned = signal.istft(spectrum * gain, sample_rate, nperseg=512)
    cleaned = cleaned[: samples.size]
    return cleaned - cleaned.mean()


def cut_units(
    samples: np.ndarray, sample_rate: int, min_s: float = 0.2, max_s: float = 7.0
) -> tuple[tuple[int, int], ...]:
    """Units of a song recording from its own in-band energy envelope (50 ms RMS, hysteresis-free threshold)."""
    sos = signal.butter(4, SONG_BAND_HZ, "bandpass", fs=sample_rate, output="sos")
    power = signal.sosfiltfilt(sos, samples) ** 2
    window = round(0.05 * sample_rate)
    envelope_db = 10 * np.log10(np.convolve(power, np.ones(window) / window, mode="same") + 1e-20)
    floor, peak = np.percentile(envelope_db, [10, 99])
    loud = envelope_db > floor + 0.4 * (peak - floor)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    runs = [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[list[int]] = []
    for run in runs:  # bridge dips shorter than 0.15 s inside a unit
        if merged and run[0] - merged[-1][1] < 0.15 * sample_rate:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    pad = round(0.05 * sample_rate)
    units = [(max(0, a - pad), min(samples.size, b + pad)) for a, b in merged]
    return tuple((a, b) for a, b in units if min_s * sample_rate <= b - a <= max_s * sample_rate)


def _random_recipe(rng: np.random.Generator) -> UnitRecipe:
    kind = rng.choice(["moan", "moan", "moan", "sweep", "sweep", "sweep", "grunt", "grunt", "shriek"])
    if kind == "moan":
        f = rng.uniform(120, 450)
        return UnitRecipe(
            "moan", rng.uniform(1.2, 6.5), f, f * rng.uniform(0.8, 1.3), int(rng.integers(4, 9)), rng.uniform(0, 4)
        )
    if kind == "sweep":
        f = rng.uniform(200, 900)
        return UnitRecipe(
            "sweep",
            rng.uniform(0.4, 2.0),
            f,
            float(np.clip(f * rng.choice([0.45, 2.2]) * rng.uniform(0.8, 1.2), 110, 1450)),
            int(rng.integers(1, 4)),
        )
    if kind == "grunt":
        f = rng.uniform(80, 200)
        return UnitRecipe(
            "grunt",
            rng.uniform(0.2, 0.7),
            f,
            f * rng.uniform(0.8, 1.1),
            8,
            pulse_hz=rng.uniform(15, 40),
            noise_share=0.5,
        )
    f = rng.uniform(900, 2500)
    return UnitRecipe("shriek", rng.uniform(0.5, 2.5), f, f * rng.uniform(0.85, 1.2), 2, vibrato_hz=rng.uniform(5, 10))


def unit_waveform(unit: PlannedUnit, sample_rate: int, recording: SongRecording | None) -> np.ndarray:
    """The unit's samples with unit mean power."""
    recipe = unit.recipe
    n = round(unit.duration_s * sample_rate)
    if recipe.kind == "recorded":
        assert recording is not None
        wave = signal.resample(recording.unit(recipe.recorded_index), n) if n else np.zeros(0)
    else:
        t = np.arange(n) / sample_rate
        frac = t / unit.duration_s
        f0 = unit.pitch * (recipe.f_start_hz + (recipe.f_end_hz - recipe.f_start_hz) * frac**1.5)
        f0 = f0 * (1 + 0.03 * np.sin(2 * np.pi * recipe.vibrato_hz * t))
        phase = 2 * np.pi * np.cumsum(f0) / sample_rate
        harmonics = [h for h in range(1, recipe.harmonics + 1) if h * f0.max() < 0.45 * sample_rate] or [1]
        wave = harmonic_sum(phase, 1.0 / np.arange(1, max(harmonics) + 1))
        if recipe.pulse_hz:
            wave = wave * (0.5 + 0.5 * np.sin(2 * np.pi * recipe.pulse_hz * t)) ** 2
        if recipe.noise_share:
            noise = np.random.default_rng(unit.seed).standard_normal(n)
            sos = signal.butter(2, (100.0, 900.0), "bandpass", fs=sample_rate, output="sos")
            noise = signal.sosfilt(sos, noise)
            wave = (1 - recipe.noise_share) * wave / (np.std(wave) + 1e-12) + recipe.noise_share * noise / np.std(noise)
        attack = np.minimum(1.0, np.minimum(t / 0.05, (unit.duration_s - t) / 0.1))
        wave = wave * np.sin(np.pi / 2 * np.clip(attack, 0, 1)) ** 2
    return wave / np.sqrt(np.mean(wave**2) + 1e-30)


def plan_session(
    session: SongSession, seed: int | list[int], recording: SongRecording | None, sample_rate: int
) -> list[PlannedUnit]:
    """Units of a session: themes of repeated phrases, gaps, and breaths every ~10 min; or, for a
    recording with `bouts`, those bouts one after another at their recorded offsets."""
    rng = np.random.default_rng(seed)
    if recording is not None and recording.bouts:
        return _plan_recorded_bouts(session, rng, recording, sample_rate)
    themes = []
    for _ in range(int(rng.integers(3, 7))):
        if recording is not None and recording.units:
            first = int(rng.integers(len(recording.units)))
            count = int(rng.integers(2, min(7, len(recording.units)) + 1))
            recipes = [
                UnitRecipe(
                    "recorded", (b - a) / recording.sample_rate, recorded_index=(first + i) % len(recording.units)
                )
                for i, (a, b) in enumerate(recording.units[first:] + recording.units[:first])
                if i < count
            ]
        else:
            recipes = [_random_recipe(rng) for _ in range(int(rng.integers(3, 8)))]
        gaps = rng.uniform(0.3, 2.5, len(recipes))
        levels_db = rng.uniform(-3, 3, len(recipes))
        themes.append((recipes, gaps, levels_db))
    fractions = {r: _in_band_fraction(r, recording, sample_rate) for recipes, _, _ in themes for r in recipes}
    snr = 10 ** (session.snr_db / 10)
    units: list[PlannedUnit] = []
    end = session.start_s + session.duration_s
    t = session.start_s + rng.uniform(0, 2)
    next_breath = t + rng.uniform(6 * 60, 15 * 60)
    theme = 0
    while t < end:
        recipes, gaps, levels_db = themes[theme % len(themes)]
        for _ in range(int(rng.integers(3, 9))):  # phrase repetitions
            for recipe, gap, level_db in zip(recipes, gaps, levels_db, strict=True):
                duration = recipe.duration_s * (rng.uniform(0.92, 1.08) if recipe.kind != "recorded" else 1.0)
                if t + duration > end:
                    return units
                power = snr * 10 ** ((level_db + rng.uniform(-1, 1)) / 10)
                pitch, unit_seed = rng.uniform(0.98, 1.02), int(rng.integers(2**31))
                units.append(PlannedUnit(t, duration, recipe, pitch, power, fractions[recipe], unit_seed))
                t += duration + gap * rng.uniform(0.8, 1.25)
            t += rng.uniform(1.0, 4.0)
            if t > next_breath:  # surfacing to breathe: a silent minute or so
                t += rng.uniform(30, 90)
                next_breath = t + rng.uniform(6 * 60, 15 * 60)
        theme += 1
    return units


def _plan_recorded_bouts(
    session: SongSession, rng: np.random.Generator, recording: SongRecording, sample_rate: int
) -> list[PlannedUnit]:
    """Bouts chained from a random one, cycling, each unit at its recorded offset; `bout_gap_s`
    between bouts (a breath or a change of singer), unit levels +-3 dB around the session's."""
    fractions: dict[int, float] = {}
    snr = 10 ** (session.snr_db / 10)
    units: list[PlannedUnit] = []
    end = session.start_s + session.duration_s
    t = session.start_s
    order = int(rng.integers(len(recording.bouts)))
    while t < end:
        bout = recording.bouts[order % len(recording.bouts)]
        for index, offset_s in bout.units:
            first, stop = recording.units[index]
            recipe = UnitRecipe("recorded", (stop - first) / recording.sample_rate, recorded_index=index)
            start = t + offset_s
            if start + recipe.duration_s > end:
                break
            if index not in fractions:
                fractions[index] = _in_band_fraction(recipe, recording, sample_rate)
            power = snr * 10 ** (rng.uniform(-3, 3) / 10)
            units.append(
                PlannedUnit(start, recipe.duration_s, recipe, 1.0, power, fractions[index], int(rng.integers(2**31)))
            )
        t += bout.span_s + rng.uniform(*recording.bout_gap_s)
        order += 1
    units.sort(key=lambda u: u.start_s)
    return units


def normalise_power(units: list[PlannedUnit], snr_db: float, noise_power: np.ndarray) -> list[PlannedUnit]:
    """Rescale unit powers so that all units' in-band energy over the noise's in the same time is the SNR asked."""
    if not units:
        return units
    noise_energy = np.array([u.duration_s for u in units]) * noise_power
    in_band = np.array([u.power_ratio * u.in_band_fraction for u in units])
    factor = 10 ** (snr_db / 10) * np.sum(noise_energy) / np.sum(noise_energy * in_band)
    return [replace(u, power_ratio=u.power_ratio * factor) for u in units]


def _in_band_fraction(recipe: UnitRecipe, recording: SongRecording | None, sample_rate: int) -> float:
    wave = unit_waveform(PlannedUnit(0.0, recipe.duration_s, recipe, 1.0, 1.0, 1.0, 0), sample_rate, recording)
    return band_power(wave, sample_rate, *SONG_BAND_HZ) / np.mean(wave**2)
