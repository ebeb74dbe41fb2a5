"""MARS-like hydrophone audio: a typed scene description rendered deterministically, piece by piece.

Real MARS samples (float, 24-bit full scale = 1.0) sit on a DC offset near -0.0034 while the
signal is tiny (broadband RMS ~8e-5), with reddish noise drifting over hours, passing ships,
blue and fin whales, earthquakes and, some nights, humpback song at an in-band SNR of 3-15 dB.
A scene is rendered in fixed 10 s blocks that depend only on the seed and their position, so any
[start_s, stop_s) piece equals the same slice of a whole render and hours can be streamed.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from whale_assets.core.synthesis.mars_song import (
    PlannedUnit,
    SongRecording,
    SongSession,
    load_song_recording,
    normalise_power,
    plan_session,
    unit_waveform,
)
from whale_assets.core.synthesis.mars_sources import (
    AMBIENT_STREAM,
    BALEEN_BAND_HZ,
    SONG_BAND_HZ,
    SONG_STREAM,
    BaleenCall,
    BaleenCalls,
    Earthquake,
    ShipPassage,
    baleen_waveform,
    band_fraction,
    block_drift_gain,
    block_samples,
    colored_block,
    drift_gain,
    plan_baleen,
    quake_waveform,
    ship_noise,
    ship_power_ratio,
)

__all__ = [
    "BaleenCalls",
    "Earthquake",
    "MarsScene",
    "ShipPassage",
    "SongRecording",
    "SongSession",
    "load_song_recording",
    "render",
    "planned_units",
    "render_pieces",
    "song_units",
    "baleen_calls",
]

MAX_UNIT_S = 10.0  # real units last up to 9.7 s


@dataclass(frozen=True)
class MarsScene:
    """What a stretch of MARS audio contains; times are seconds from the scene start.

    SNRs (song, baleen calls) are in-band power of the calls over the ambient noise (drift
    included, ships not) in the same band at the same time; ship and earthquake levels are
    broadband power over the ambient noise.
    """

    duration_s: float
    seed: int = 0
    dc_offset: float = -0.0034
    noise_rms: float = 8e-5  # broadband RMS of the ambient noise at its median level
    drift_db: float = 3.0  # the ambient level wanders within +-drift_db over hours
    song: tuple[SongSession, ...] = ()
    ships: tuple[ShipPassage, ...] = ()
    baleen: tuple[BaleenCalls, ...] = ()
    earthquakes: tuple[Earthquake, ...] = ()
    song_recording: SongRecording | None = None  # voice song with real units instead of synthetic ones
    sample_rate: int = 16_000

    def __post_init__(self) -> None:
        if self.song_recording is not None and self.song_recording.sample_rate != self.sample_rate:
            raise ValueError(
                f"song recording is at {self.song_recording.sample_rate} Hz, the scene at {self.sample_rate} Hz"
            )


@dataclass(frozen=True)
class _Plan:
    units: tuple[PlannedUnit, ...]
    unit_starts: tuple[float, ...]
    calls: tuple[BaleenCall, ...]
    call_starts: tuple[float, ...]


def ambient_band_power(scene: MarsScene, t: np.ndarray | float, low_hz: float, high_hz: float) -> np.ndarray:
    """Mean ambient noise power within a band at time(s) t (drift included)."""
    fraction = band_fraction("ambient", scene.sample_rate, low_hz, high_hz)
    return (scene.noise_rms * drift_gain(scene.seed, scene.drift_db, t)) ** 2 * fraction


@lru_cache(maxsize=16)
def _plan(scene: MarsScene) -> _Plan:
    units: list[PlannedUnit] = []
    for index, session in enumerate(scene.song):
        planned = plan_session(session, [scene.seed, SONG_STREAM + index], scene.song_recording, scene.sample_rate)
        centres = np.array([u.start_s + u.duration_s / 2 for u in planned])
        units += normalise_power(planned, session.snr_db, ambient_band_power(scene, centres, *SONG_BAND_HZ))
    units.sort(key=lambda u: u.start_s)
    calls = plan_baleen(scene.seed, scene.baleen)
    return _Plan(tuple(units), tuple(u.start_s for u in units), tuple(calls), tuple(c.start_s for c in calls))


def planned_units(scene: MarsScene) -> tuple[PlannedUnit, ...]:
    """Every song unit the scene places, in time order (recipe, level and timing)."""
    return _plan(scene).units


def song_units(scene: MarsScene) -> list[tuple[float, float]]:
    """Ground truth: (start_s, end_s) of every song unit, in time order."""
    return [(u.start_s, u.start_s + u.duration_s) for u in _plan(scene).units]


def baleen_calls(scene: MarsScene) -> list[tuple[str, float, float]]:
    """Ground truth: (kind, start_s, end_s) of every blue/fin call, in time order."""
    return [(c.kind, c.start_s, c.start_s + c.duration_s) for c in _plan(scene).calls]


def render(scene: MarsScene, start_s: float = 0.0, stop_s: float | None = None) -> np.ndarray:
    """Float32 samples (DC offset included) of [start_s, stop_s) of the scene."""
    sr = scene.sample_rate
    total = round(scene.duration_s * sr)
    first = round(start_s * sr)
    stop = total if stop_s is None else round(stop_s * sr)
    if not 0 <= first <= stop <= total:
        raise ValueError(f"[{start_s}, {stop_s}) is not within the scene's [0, {scene.duration_s}) s")
    n = block_samples(sr)
    out = np.empty(stop - first, dtype=np.float32)
    for block in range(first // n, -(-stop // n)):
        a, b = max(first, block * n), min(stop, (block + 1) * n)
        out[a - first : b - first] = _render_block(scene, block)[a - block * n : b - block * n]
    return out


def render_pieces(
    scene: MarsScene, start_s: float = 0.0, stop_s: float | None = None, piece_s: float = 600.0
) -> Iterator[np.ndarray]:
    """[start_s, stop_s) as consecutive float32 pieces of at most `piece_s`, for streaming hours to disk."""
    stop_s = scene.duration_s if stop_s is None else stop_s
    sr = scene.sample_rate
    first, stop, step = round(start_s * sr), round(stop_s * sr), max(1, round(piece_s * sr))
    for a in range(first, stop, step):
        yield render(scene, a / sr, min(stop, a + step) / sr)


def _render_block(scene: MarsScene, block: int) -> np.ndarray:
    sr = scene.sample_rate
    n = block_samples(sr)
    t = (block * n + np.arange(n)) / sr
    ambient_rms = scene.noise_rms * block_drift_gain(scene.seed, scene.drift_db, t)
    x = colored_block(scene.seed, AMBIENT_STREAM, block, "ambient", sr) * ambient_rms
    t0, t1 = t[0], t[0] + n / sr
    for index, ship in enumerate(scene.ships):
        if ship.closest_s - ship.duration_s / 2 < t1 and t0 < ship.closest_s + ship.duration_s / 2:
            x += ship_noise(scene.seed, index, ship, block, t, sr) * np.sqrt(ship_power_ratio(ship, t)) * ambient_rms
    for index, quake in enumerate(scene.earthquakes):
        if quake.at_s < t1 and t0 < quake.at_s + quake.duration_s:
            peak = (
                np.sqrt(10 ** (quake.peak_db / 10))
                * scene.noise_rms
                * drift_gain(scene.seed, scene.drift_db, quake.at_s)
            )
            _add(x, block * n, round(quake.at_s * sr), quake_waveform(scene.seed, index, quake, sr) * peak)
    plan = _plan(scene)
    for call in _overlapping(plan.calls, plan.call_starts, t0, t1, 25.0):
        centre = call.start_s + call.duration_s / 2
        scale = np.sqrt(10 ** (call.snr_db / 10) * ambient_band_power(scene, centre, *BALEEN_BAND_HZ[call.kind]))
        _add(x, block * n, round(call.start_s * sr), baleen_waveform(call, sr) * scale)
    for unit in _overlapping(plan.units, plan.unit_starts, t0, t1, MAX_UNIT_S):
        centre = unit.start_s + unit.duration_s / 2
        scale = np.sqrt(unit.power_ratio * ambient_band_power(scene, centre, *SONG_BAND_HZ))
        _add(x, block * n, round(unit.start_s * sr), unit_waveform(unit, sr, scene.song_recording) * scale)
    return x + scene.dc_offset


def _overlapping(items: tuple, starts: tuple[float, ...], t0: float, t1: float, longest_s: float) -> list:
    lo, hi = bisect.bisect_left(starts, t0 - longest_s), bisect.bisect_left(starts, t1)
    return [item for item in items[lo:hi] if item.start_s + item.duration_s > t0]


def _add(x: np.ndarray, x_first: int, first: int, wave: np.ndarray) -> None:
    """Add `wave` (starting at absolute sample `first`) into block `x` (starting at `x_first`)."""
    a, b = max(first, x_first), min(first + wave.size, x_first + x.size)
    if a < b:
        x[a - x_first : b - x_first] += wave[a - first : b - first]
