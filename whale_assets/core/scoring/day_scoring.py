"""Score a whole day chunk by chunk: gaps skipped, finished chunks checkpointed, reads overlapped.

Digital silence is not audio: a hydrophone never records exact zeros for long, so a run of
exact zeros that fills at least one aligned block of `GAP_BLOCK_SAMPLES` (0.1 s at 16 kHz) is a
gap (sparse or zero-filled files, dropouts), from its first zero sample to its last. Windows that
hold any sample of a gap get no score
(NaN), and each stretch of windows between gaps is scored by its own classifier call, so a
classifier with a running noise floor (the energy detector) measures its floor on audio only.
For per-window models (the humpback model) this changes nothing for the windows that are scored.

Everything is passed in as callables (read a chunk, load or save a checkpoint), so this module
knows neither Dagster nor where audio and checkpoints live.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from whale_assets.core.scoring.classifier import Classifier
from whale_assets.core.scoring.day_chunks import DayChunk, DayChunkPlan, chunk_waveform

GAP_BLOCK_SAMPLES = 1600
"""0.1 s at 16 kHz: an all-zero aligned block of this many archive samples is a gap."""


class ChunkCheckpoints(Protocol):
    def load(self, chunk: DayChunk) -> np.ndarray | None: ...

    def save(self, chunk: DayChunk, scores: np.ndarray) -> None: ...


@dataclass(frozen=True)
class ChunkOutcome:
    chunk: DayChunk
    source: str
    """`scored`, `checkpoint` or `unavailable`."""
    reason: str | None = None


@dataclass
class DayScores:
    plan: DayChunkPlan
    scores: np.ndarray
    """float32 per window of the day; NaN where there is no audio (gap, missing or unreadable)."""
    outcomes: list[ChunkOutcome] = field(default_factory=list)

    def count(self, source: str) -> int:
        return sum(1 for o in self.outcomes if o.source == source)


def neighbourhood_windows(classifier: Classifier) -> int:
    """Windows each side whose audio can change a window's score (see `Classifier`)."""
    return int(classifier.neighbourhood_windows)


def silent_blocks(samples: np.ndarray, block: int = GAP_BLOCK_SAMPLES) -> np.ndarray:
    """True for each `block`-sample block (the last one may be shorter) whose samples are all exactly 0.

    `samples` is decoded audio (1-D float32) or raw PCM before decoding (2-D uint8, one row of
    bytes per sample), so a reader can skip decoding silence; both give the same blocks.
    """
    units = _zero_test_units(samples)
    n, per_sample = units.shape
    flat = units.reshape(-1)
    n_full = n // block
    full_units = n_full * block * per_sample
    silent = np.empty(n_full + (1 if n % block else 0), dtype=bool)
    silent[:n_full] = ~flat[:full_units].reshape(n_full, block * per_sample).any(axis=1)
    if n % block:
        silent[-1] = not flat[full_units:].any()
    return silent


def _zero_test_units(samples: np.ndarray) -> np.ndarray:
    """A 2-D view, one row per sample, whose row is all zero iff the sample is exactly 0."""
    if samples.ndim == 2:
        return np.ascontiguousarray(samples)
    # Bit patterns: +0.0 is the only float32 whose int32 view is 0 (the PCM decoder never gives -0.0).
    return np.ascontiguousarray(samples, dtype=np.float32).view(np.int32).reshape(-1, 1)


def gap_intervals(archive_audio: np.ndarray, block: int = GAP_BLOCK_SAMPLES) -> np.ndarray:
    """[start, stop) sample ranges of digital silence that contain at least one all-zero block.

    Each gap is widened to the exact first and last zero sample around its silent blocks, so a
    window that holds even a few samples of the gap is known to.
    """
    silent = silent_blocks(archive_audio, block)
    if not silent.any():
        return np.zeros((0, 2), dtype=np.int64)
    bits = np.ascontiguousarray(archive_audio, dtype=np.float32).view(np.int32)
    n = bits.size
    gaps = []
    for b0, b1 in runs(silent):
        start, stop = b0 * block, min(n, b1 * block)
        before = bits[max(0, start - block) : start]
        nonzero = np.flatnonzero(before)
        start -= before.size - (nonzero[-1] + 1 if nonzero.size else 0)
        after = bits[stop : stop + block]
        nonzero = np.flatnonzero(after)
        stop += nonzero[0] if nonzero.size else after.size
        gaps.append((start, stop))
    return np.array(gaps, dtype=np.int64)


def windows_with_audio(
    plan: DayChunkPlan, chunk: DayChunk, archive_audio: np.ndarray, block: int = GAP_BLOCK_SAMPLES
) -> np.ndarray:
    """Boolean per scored window of `chunk`: True when its context holds no sample of a gap."""
    gaps = gap_intervals(archive_audio, block)
    if not gaps.size:
        return np.ones(chunk.n_scored, dtype=bool)
    grid = plan.grid
    down_per_up = plan.archive_rate / grid.sample_rate
    starts = np.arange(chunk.scored_first, chunk.scored_stop, dtype=np.int64) * grid.step_samples
    first_sample = np.floor(starts * down_per_up).astype(np.int64) - chunk.read_start
    stop_sample = np.ceil((starts + grid.context_samples) * down_per_up).astype(np.int64) - chunk.read_start
    return ~touches_gaps(gaps, first_sample, stop_sample)


def touches_gaps(gaps: np.ndarray, first_sample: np.ndarray, stop_sample: np.ndarray) -> np.ndarray:
    """True for each [first, stop) sample range that holds at least one sample of `gaps` (`gap_intervals`)."""
    # Gaps are sorted and disjoint: a range overlaps one iff more gaps start before its end
    # than end before its start.
    started = np.searchsorted(gaps[:, 0], stop_sample, side="left")
    ended = np.searchsorted(gaps[:, 1], first_sample, side="right")
    return started != ended


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True in a 1-D boolean array."""
    padded = np.concatenate(([False], np.asarray(mask, bool), [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def score_chunk(classifier: Classifier, plan: DayChunkPlan, chunk: DayChunk, archive_audio: np.ndarray) -> np.ndarray:
    """float32 scores of the windows `chunk` owns; NaN for those touching a gap."""
    has_audio = windows_with_audio(plan, chunk, archive_audio)
    scored = np.full(chunk.n_scored, np.nan, dtype=np.float32)
    stretches = runs(has_audio)
    for first, stop in stretches:
        part = chunk_waveform(plan, chunk, archive_audio, first, stop)
        scores = np.asarray(classifier.score(part), dtype=np.float32)
        del part
        if scores.shape != (stop - first,):
            raise RuntimeError(
                f"{classifier.name} returned {scores.shape} scores for {stop - first} windows of chunk {chunk.index}"
            )
        scored[first:stop] = scores
    return scored[chunk.owned].copy()


def score_day(
    plan: DayChunkPlan,
    classifier: Classifier,
    read_chunk: Callable[[DayChunk], np.ndarray],
    checkpoints: ChunkCheckpoints | None = None,
    unavailable: tuple[type[BaseException], ...] = (),
    prefetch: bool = True,
    on_chunk: Callable[[ChunkOutcome], None] | None = None,
) -> DayScores:
    """Scores of every window of the day, one chunk at a time.

    Chunks with a checkpoint are not read or scored again; each newly scored chunk is saved
    before the next one is scored, so an interrupted run loses at most the chunk in progress.
    `read_chunk` returns archive samples [read_start, read_stop) of a chunk; an exception in
    `unavailable` means the chunk has no audio (reported, not raised). With `prefetch`, the next
    chunk is read (I/O and PCM decoding release the GIL) while the current one is scored;
    at most two chunks of audio are in memory.
    """
    day = DayScores(plan, np.full(plan.n_windows, np.nan, dtype=np.float32))
    todo = []
    for chunk in plan.chunks:
        saved = checkpoints.load(chunk) if checkpoints is not None else None
        if saved is not None and saved.shape == (chunk.n_windows,):
            day.scores[chunk.first_window : chunk.stop_window] = saved
            _report(day, ChunkOutcome(chunk, "checkpoint"), on_chunk)
        else:
            todo.append(chunk)
    for chunk, audio, error in _read_ahead(todo, read_chunk, unavailable, prefetch):
        if error is not None:
            _report(day, ChunkOutcome(chunk, "unavailable", str(error)), on_chunk)
            continue
        assert audio is not None  # _read_ahead gives a chunk's audio or its error
        scores = score_chunk(classifier, plan, chunk, audio)
        del audio
        if checkpoints is not None:
            checkpoints.save(chunk, scores)
        day.scores[chunk.first_window : chunk.stop_window] = scores
        _report(day, ChunkOutcome(chunk, "scored"), on_chunk)
    return day


def _report(day: DayScores, outcome: ChunkOutcome, on_chunk: Callable[[ChunkOutcome], None] | None) -> None:
    day.outcomes.append(outcome)
    if on_chunk is not None:
        on_chunk(outcome)


def _read_ahead(
    chunks: list[DayChunk],
    read_chunk: Callable[[DayChunk], np.ndarray],
    unavailable: tuple[type[BaseException], ...],
    prefetch: bool,
) -> Iterator[tuple[DayChunk, np.ndarray | None, BaseException | None]]:
    def read(chunk: DayChunk) -> tuple[np.ndarray | None, BaseException | None]:
        try:
            return read_chunk(chunk), None
        except unavailable as error:
            return None, error

    if not prefetch or len(chunks) < 2:
        for chunk in chunks:
            yield (chunk, *read(chunk))
        return
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="day-audio") as pool:
        pending = pool.submit(read, chunks[0])
        for i, chunk in enumerate(chunks):
            audio, error = pending.result()
            if i + 1 < len(chunks):
                pending = pool.submit(read, chunks[i + 1])
            yield chunk, audio, error
            del audio
        # A consumer that stops early (an exception while scoring) leaves at most one read running;
        # the executor waits for it on exit.
