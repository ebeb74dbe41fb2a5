"""Band-pass energy sifting: which parts of a long recording carry enough in-band energy to score.

The audio is Butterworth band-passed (second-order sections), squared and summed over
consecutive non-overlapping frames. Two rules pick frames (`SiftMode`): by default, band level
in dB against an adaptive noise floor with hysteresis (`noise_floor.py`); or, as first built,
energy above a fraction of the loudest frame's. Kept frames become half-open sample ranges of
the input. The filter starts in the steady state of the input's initial offset, so the
archive's DC offset does not ring through it as a start-up transient.

Long inputs are filtered chunk by chunk with the filter state carried across chunks (`zi`),
so the result does not depend on the chunk size and intermediate memory stays bounded.
Region offsets are computed from the frame index in the *whole* input, never per chunk.

Speed: one `sosfilt` pass in float32 when the filter is well-conditioned enough for it
(see `_FLOAT32_MAX_POLE_RADIUS`), float64 otherwise; frame energies by one `einsum` per chunk.
Alternatives measured on one core and not used: FFT overlap-add of the impulse response
(truncated at float32 precision) and a block state-space form (GEMMs over 64-128 sample blocks
plus a modal recurrence) both ran within ~10 % of float32 `sosfilt` for far more code;
decimating first needs its own full-rate anti-alias filter (no cheaper than this one) and
changes the response near the upper band edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

import numpy as np
from scipy import signal

from whale_assets.core.audio.noise_floor import (
    hysteresis_events,
    level_db,
    running_floor_db,
)
from whale_assets.core.audio.regions import (
    frames_to_regions,
    kept_seconds,
    merge_regions,
    pad_regions,
    runs,
)

__all__ = [
    "SiftMode",
    "SiftParameters",
    "SiftResult",
    "bandpass_sos",
    "band_frame_energy",
    "kept_seconds",
    "pad_regions",
    "sift",
    "sift_frames",
    "widen",
]

DEFAULT_CHUNK_FRAMES = 2048
"""Frames per filtering chunk: 2048 x 512 samples is ~1 M samples (~65 s at 16 kHz, 4 MB float32)."""

_LEVEL_SAMPLES = 4096
"""Samples whose median is taken as the input's initial offset (a quarter second at 16 kHz)."""

_FLOAT32_MAX_POLE_RADIUS = 0.998
"""Above this pole radius float32 sections drift measurably from float64 (frame energies off by
>1e-3 of the maximum for red noise, measured); the default 50-1500 Hz band at 16 kHz has 0.9943
(float32 within ~1e-4)."""


class SiftMode(str, Enum):
    NOISE_FLOOR = "noise_floor"
    """Band level in dB against a running low percentile of itself, with hysteresis (the default)."""
    MAX_RELATIVE = "max_relative"
    """Band energy / the loudest frame's > `threshold` (the first rule; keeps whole windows on real audio)."""


@dataclass(frozen=True)
class SiftParameters:
    """How `sift` decides which frames carry signal. Defaults measured with `bench/sift_fidelity.py`."""

    mode: SiftMode = SiftMode.NOISE_FLOOR
    lowcut_hz: float = 100.0
    """Above most ship, blue- and fin-whale energy; humpback units are mostly 100-1500 Hz ..."""
    highcut_hz: float = 3000.0
    """... but shrieks reach ~3 kHz, where the reddish ambient is weak (1500 lost ~10 % of unit time)."""
    order: int = 5
    frame_samples: int = 512
    threshold: float = 0.015
    """`max_relative` only: fraction of the loudest frame's energy a frame must exceed."""
    start_db: float = 7.0
    """`noise_floor`: an event starts where the band level exceeds the floor by this much ..."""
    end_db: float = 3.0
    """... and lasts while it exceeds the floor by this much (hysteresis; <= start_db)."""
    floor_percentile: float = 10.0
    """Stays in the gaps between units even in dense song (the 20th kept 16 % of song filling 87 % of
    the time, the 10th 99 %); 7 dB rather than 6 above it keeps the false alarms of the 20th."""
    floor_window_s: float = 120.0
    """Short enough to follow a ship's rise (180 s kept ~2-5 % more non-song), long for the percentile."""
    min_event_s: float = 0.3
    """`noise_floor`: events (after merging) shorter than this are dropped (ship-noise flickers)."""
    merge_gap_s: float = 0.25
    """`noise_floor`: events at most this far apart are merged (0.5 s fused noise flickers into events)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", SiftMode(self.mode))  # accept "noise_floor" as well as the enum
        if self.frame_samples < 1:
            raise ValueError(f"frame_samples={self.frame_samples} must be >= 1")
        if not 0.0 <= self.threshold < 1.0:
            raise ValueError(f"threshold={self.threshold} must lie in [0, 1)")
        if self.end_db > self.start_db:
            raise ValueError(f"end_db={self.end_db} must not exceed start_db={self.start_db}")
        if not 0.0 <= self.floor_percentile <= 100.0:
            raise ValueError(f"floor_percentile={self.floor_percentile} must lie in [0, 100]")
        if self.floor_window_s <= 0.0 or self.min_event_s < 0.0 or self.merge_gap_s < 0.0:
            raise ValueError(
                f"floor_window_s={self.floor_window_s} must be > 0, min_event_s={self.min_event_s} "
                f"and merge_gap_s={self.merge_gap_s} >= 0"
            )


@dataclass(frozen=True)
class SiftResult:
    regions: list[tuple[int, int]]
    """Half-open sample ranges `[start, end)` in the input's own coordinates, sorted, not touching."""
    span: tuple[int, int] | None
    """`(first region start, last region end)`, or None when nothing is kept."""
    frame_energy: np.ndarray = field(repr=False)
    """Band energy per frame normalised by its maximum (float32; the last frame may be shorter)."""
    frame_level_db: np.ndarray = field(repr=False)
    """Band mean square per frame in dB re full scale squared (float32)."""
    floor_db: np.ndarray | None = field(default=None, repr=False)
    """`noise_floor` mode: the noise floor under each frame in dB (float32); None otherwise."""


def bandpass_sos(lowcut_hz: float, highcut_hz: float, sample_rate: int, order: int) -> np.ndarray:
    """Butterworth band-pass as second-order sections (float64, shape `(order, 6)`)."""
    nyquist = sample_rate / 2.0
    if not (isinstance(order, (int, np.integer)) and order >= 1):
        raise ValueError(f"order={order!r} is invalid: need an integer >= 1")
    if not (sample_rate > 0 and 0.0 < lowcut_hz < highcut_hz < nyquist):
        raise ValueError(
            f"band lowcut_hz={lowcut_hz}, highcut_hz={highcut_hz} is invalid at sample_rate={sample_rate}: "
            f"need 0 < lowcut_hz < highcut_hz < {nyquist:g} Hz (Nyquist)"
        )
    return signal.butter(order, [lowcut_hz, highcut_hz], btype="bandpass", fs=sample_rate, output="sos")


def sift(
    audio: np.ndarray,
    sample_rate: int,
    params: SiftParameters | None = None,
    *,
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
    **overrides: Any,
) -> SiftResult:
    """The frames of `audio` whose band energy stands out, as sample ranges (see `SiftParameters`).

    Keyword `overrides` replace fields of `params` (or of the defaults), so
    `sift(audio, rate, mode="max_relative", threshold=0.015)` still reads like the first call.
    """
    params = replace(params or SiftParameters(), **overrides)
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ValueError(f"audio must be 1-D, got shape {audio.shape}")
    if chunk_frames < 1:
        raise ValueError(f"chunk_frames={chunk_frames} must be >= 1")
    sos = bandpass_sos(params.lowcut_hz, params.highcut_hz, sample_rate, params.order)
    energy = band_frame_energy(audio, sos, params.frame_samples, chunk_frames * params.frame_samples)
    return sift_frames(energy, audio.shape[0], sample_rate, params)


def sift_frames(energy: np.ndarray, n_samples: int, sample_rate: int, params: SiftParameters) -> SiftResult:
    """The decision alone, from band energy per frame (what `band_frame_energy` returns).

    Lets a caller try several rules on one filtering pass (`bench/sift_fidelity.py` does).
    """
    frame = params.frame_samples
    peak = float(energy.max()) if energy.size else 0.0
    if not np.isfinite(peak):
        raise ValueError("audio contains NaN or inf")
    normalised = (energy / peak if peak > 0.0 else np.zeros_like(energy)).astype(np.float32)
    frame_lengths = np.full(energy.size, frame, dtype=np.float64)
    if energy.size and n_samples % frame:
        frame_lengths[-1] = n_samples % frame
    levels = level_db(energy / frame_lengths)

    floor: np.ndarray | None = None
    if params.mode is SiftMode.MAX_RELATIVE:
        regions = frames_to_regions(*runs(normalised > params.threshold), frame, n_samples)
    else:
        window_frames = max(1, round(params.floor_window_s * sample_rate / frame))
        floor = running_floor_db(levels, window_frames, params.floor_percentile)
        starts, ends = hysteresis_events(levels - floor, params.start_db, params.end_db)
        merged = merge_regions(
            frames_to_regions(starts, ends, frame, n_samples), round(params.merge_gap_s * sample_rate)
        )
        regions = [(s, e) for s, e in merged if e - s >= params.min_event_s * sample_rate]
    span = (regions[0][0], regions[-1][1]) if regions else None
    return SiftResult(regions=regions, span=span, frame_energy=normalised, frame_level_db=levels, floor_db=floor)


def band_frame_energy(audio: np.ndarray, sos: np.ndarray, frame_samples: int, chunk_samples: int) -> np.ndarray:
    """Energy of `sosfilt(sos, audio)` per non-overlapping frame (float64), filtered chunk by chunk.

    `chunk_samples` must be a multiple of `frame_samples` so that frames never straddle chunks.
    """
    if chunk_samples % frame_samples:
        raise ValueError(f"chunk_samples={chunk_samples} is not a multiple of frame_samples={frame_samples}")
    dtype = np.float32 if _max_pole_radius(sos) <= _FLOAT32_MAX_POLE_RADIUS else np.float64
    sos = sos.astype(dtype)
    n = audio.shape[0]
    # Start in the steady state of the input's initial level: from rest, the archive's DC offset
    # (~40x the signal) would ring through the band-pass louder than any song.
    zi = (signal.sosfilt_zi(sos) * _initial_level(audio)).astype(dtype)
    energy = np.empty(-(-n // frame_samples), dtype=np.float64)
    for start in range(0, n, chunk_samples):
        # Converting per chunk means int PCM or float64 callers never get a whole-input copy.
        chunk = np.asarray(audio[start : start + chunk_samples], dtype=dtype)
        filtered, zi = signal.sosfilt(sos, chunk, zi=zi)
        first = start // frame_samples
        whole = filtered.shape[0] // frame_samples
        frames = filtered[: whole * frame_samples].reshape(whole, frame_samples)
        energy[first : first + whole] = np.einsum("ij,ij->i", frames, frames)
        tail = filtered[whole * frame_samples :]
        if tail.size:
            energy[first + whole] = float(np.dot(tail, tail))
    return energy


def _initial_level(audio: np.ndarray) -> float:
    """The median of the first `_LEVEL_SAMPLES` samples: the offset the filter starts from."""
    head = audio[:_LEVEL_SAMPLES]
    return float(np.median(head)) if head.size else 0.0


def _max_pole_radius(sos: np.ndarray) -> float:
    return float(max(np.abs(np.roots(section[3:])).max() for section in sos))


def widen(span: tuple[int, int], min_samples: int, n_samples: int) -> tuple[int, int]:
    """Grow `span` about its centre to at least `min_samples`, staying inside [0, n_samples)."""
    first, last = span
    missing = min_samples - (last - first)
    if missing <= 0:
        return first, last
    first = max(0, first - missing // 2)
    last = min(n_samples, first + min_samples)
    first = max(0, last - min_samples)
    return first, last
