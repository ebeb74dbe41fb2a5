"""The chunk plan for scoring a whole UTC day file on the model's window grid.

Window i of the day starts at model-rate sample i * step (day start + i * 0.99 s for the humpback
model) and there are `grid.n_windows(n_model_samples)` of them, exactly as if the whole day had
been resampled to the model rate and scored in one call. Chunk c *owns* the windows whose start
falls in [c * chunk_s, (c + 1) * chunk_s) (ten minutes by default), so every window belongs to
exactly one chunk. To score them a chunk reads, from the archive:

- the audio of its windows, i.e. up to one context beyond the start of its last window;
- `margin_windows` extra windows each side, for classifiers whose score depends on neighbours
  (the energy detector's running noise floor); those scores are computed and thrown away. A
  chunk at either end of the file scores at least 2 * margin - 1 windows (when the file has
  them), since there a neighbourhood is shifted inward rather than centred;
- a resampling guard of `guard_samples` archive samples each side, starting on a multiple of
  the polyphase `down` factor, so the resampled chunk is the whole-day resampled signal sample for
  sample (bitwise: `resample_exact` has ~10-sample edge transients at 16 -> 10 kHz; 128 guard
  samples already give identical output, 256 are used).

Nothing here reads audio: the plan is integers, and `chunk_waveform` cuts a chunk's model-rate
waveform out of the archive samples the plan asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from whale_assets.core.audio.resample import (
    polyphase_ratio,
    resample_exact,
    resampled_length,
)
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.utc import NS_PER_S

GUARD_SAMPLES = 256
"""Archive samples read beyond each end of a chunk so resampling edge effects stay outside it."""
DEFAULT_CHUNK_S = 600.0
"""Ten minutes: the audio of a chunk and the next one being read stay ~0.15 GB, a killed run
loses at most ten minutes of scoring, and the extra context read per chunk is 0.7 %."""


@dataclass(frozen=True)
class DayChunk:
    index: int
    first_window: int
    """Windows [first_window, stop_window) of the day belong to this chunk."""
    stop_window: int
    scored_first: int
    """Windows [scored_first, scored_stop) are scored (the owned ones plus the margin)."""
    scored_stop: int
    read_start: int
    """Archive samples [read_start, read_stop) of the day file to read."""
    read_stop: int
    offset: int
    """Model-rate day sample that sample 0 of the resampled read corresponds to."""
    trim_start: int
    """The scored windows' waveform is resampled[trim_start:trim_stop]."""
    trim_stop: int

    @property
    def n_windows(self) -> int:
        return self.stop_window - self.first_window

    @property
    def n_scored(self) -> int:
        return self.scored_stop - self.scored_first

    @property
    def owned(self) -> slice:
        """The owned windows within the scored ones."""
        return slice(self.first_window - self.scored_first, self.stop_window - self.scored_first)

    @property
    def n_read(self) -> int:
        return self.read_stop - self.read_start


@dataclass(frozen=True)
class DayChunkPlan:
    grid: WindowGrid
    archive_rate: int
    n_archive_samples: int
    n_model_samples: int
    n_windows: int
    chunk_s: float
    margin_windows: int
    guard_samples: int
    chunks: tuple[DayChunk, ...]

    @property
    def step_ns(self) -> int:
        return self.grid.step_samples * NS_PER_S // self.grid.sample_rate

    def window_offsets_ns(self, first: int = 0, stop: int | None = None) -> np.ndarray:
        """Start of windows [first, stop) in integer nanoseconds from the day start (exact)."""
        stop = self.n_windows if stop is None else stop
        index = np.arange(first, stop, dtype=np.int64)
        return index * self.grid.step_samples * NS_PER_S // self.grid.sample_rate

    def window_times(self, day_start: np.datetime64, first: int = 0, stop: int | None = None) -> np.ndarray:
        """UTC start of windows [first, stop) as naive datetime64[ns]: day start + i * step."""
        return day_start.astype("datetime64[ns]") + self.window_offsets_ns(first, stop).astype("timedelta64[ns]")


def plan_day_chunks(
    n_archive_samples: int,
    grid: WindowGrid,
    archive_rate: int = 16_000,
    chunk_s: float = DEFAULT_CHUNK_S,
    margin_windows: int = 0,
    guard_samples: int = GUARD_SAMPLES,
) -> DayChunkPlan:
    """Chunks covering every window of a day file of `n_archive_samples` samples at `archive_rate`."""
    up, down = polyphase_ratio(archive_rate, grid.sample_rate)
    if n_archive_samples < 0:
        raise ValueError(f"n_archive_samples={n_archive_samples} must be >= 0")
    chunk_model = chunk_s * grid.sample_rate
    if chunk_s <= 0 or chunk_model != int(chunk_model):
        raise ValueError(f"chunk_s={chunk_s} must be positive and a whole number of {grid.sample_rate} Hz samples")
    chunk_model = int(chunk_model)
    if margin_windows < 0 or guard_samples < 0:
        raise ValueError(f"margin_windows={margin_windows} and guard_samples={guard_samples} must be >= 0")
    guard = -(-guard_samples // down) * down  # whole `down` blocks keep the polyphase phase
    n_model = resampled_length(n_archive_samples, archive_rate, grid.sample_rate)
    n_windows = grid.n_windows(n_model)
    step = grid.step_samples
    chunks = []
    c = 0
    while True:
        first = min(n_windows, -(-c * chunk_model // step))
        stop = min(n_windows, -(-(c + 1) * chunk_model // step))
        if first >= n_windows:
            break
        if stop > first:
            scored_first = max(0, first - margin_windows)
            scored_stop = min(n_windows, stop + margin_windows)
            if margin_windows:
                # Near the file's ends a centred neighbourhood of 2 * margin - 1 windows is shifted
                # inward: score at least that many, so a short first or last chunk sees it whole.
                span = 2 * margin_windows - 1
                scored_stop = max(scored_stop, min(n_windows, scored_first + span))
                scored_first = min(scored_first, max(0, scored_stop - span))
            m0 = scored_first * step
            m1 = (scored_stop - 1) * step + grid.context_samples
            read_start = max(0, (m0 // up) * down - guard)
            read_stop = min(n_archive_samples, -(-m1 * down // up) + guard)
            offset = read_start // down * up
            chunks.append(
                DayChunk(
                    c, first, stop, scored_first, scored_stop, read_start, read_stop, offset, m0 - offset, m1 - offset
                )
            )
        c += 1
    return DayChunkPlan(
        grid, archive_rate, n_archive_samples, n_model, n_windows, float(chunk_s), margin_windows, guard, tuple(chunks)
    )


def chunk_waveform(
    plan: DayChunkPlan, chunk: DayChunk, archive_audio: np.ndarray, first: int = 0, stop: int | None = None
) -> np.ndarray:
    """The model-rate waveform of scored windows [first, stop) of `chunk` (default: all of them).

    `archive_audio` is archive samples [read_start, read_stop). Only the part those windows need
    (plus the guard) is resampled, so stretches between gaps cost nothing; the result is the
    whole-day resampled signal sample for sample either way.
    """
    archive_audio = np.asarray(archive_audio)
    if archive_audio.shape != (chunk.n_read,):
        raise ValueError(
            f"chunk {chunk.index} needs {chunk.n_read} archive samples [{chunk.read_start}, {chunk.read_stop}), "
            f"got shape {archive_audio.shape}"
        )
    stop = chunk.n_scored if stop is None else stop
    if not 0 <= first < stop <= chunk.n_scored:
        raise ValueError(f"windows [{first}, {stop}) are not within the chunk's {chunk.n_scored} scored windows")
    grid = plan.grid
    up, down = polyphase_ratio(plan.archive_rate, grid.sample_rate)
    m0 = (chunk.scored_first + first) * grid.step_samples
    m1 = (chunk.scored_first + stop - 1) * grid.step_samples + grid.context_samples
    a = max(chunk.read_start, (m0 // up) * down - plan.guard_samples)
    b = min(chunk.read_stop, -(-m1 * down // up) + plan.guard_samples)
    offset = a // down * up
    resampled = resample_exact(
        archive_audio[a - chunk.read_start : b - chunk.read_start], plan.archive_rate, grid.sample_rate
    )
    if resampled.size < m1 - offset:
        raise AssertionError(f"chunk {chunk.index}: resampled {resampled.size} samples, need {m1 - offset}")
    return resampled[m0 - offset : m1 - offset]
