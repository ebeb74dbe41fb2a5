"""Half-open sample ranges `[start, end)`: from kept frames, merged, padded, totalled."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

Region = tuple[int, int]


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the runs of True in a 1-D boolean mask."""
    edges = np.diff(np.concatenate(([0], np.asarray(mask, dtype=np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def frames_to_regions(starts: np.ndarray, ends: np.ndarray, frame_samples: int, n_samples: int) -> list[Region]:
    """Frame-index runs as sample ranges of the input, the last clipped to the input's end."""
    return [(int(s) * frame_samples, min(int(e) * frame_samples, n_samples)) for s, e in zip(starts, ends, strict=True)]


def merge_regions(regions: Iterable[Region], max_gap: int = 0) -> list[Region]:
    """Sort and merge ranges that overlap, touch, or are at most `max_gap` samples apart."""
    merged: list[Region] = []
    for start, end in sorted(regions):
        if merged and start - merged[-1][1] <= max_gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def pad_regions(regions: Iterable[Region], pad_samples: int, n_samples: int) -> list[Region]:
    """Each range grown by `pad_samples` on both sides, clipped to `[0, n_samples)`, overlaps merged.

    Scoring the result covers every sample of the input regions plus their context, and no
    sample twice.
    """
    if pad_samples < 0:
        raise ValueError(f"pad_samples={pad_samples} must be >= 0")
    padded = ((max(0, start - pad_samples), min(n_samples, end + pad_samples)) for start, end in regions)
    return merge_regions(region for region in padded if region[1] > region[0])


def kept_seconds(regions: Iterable[Region], sample_rate: float) -> float:
    """Total duration of the ranges in seconds (ranges are assumed not to overlap)."""
    return sum(end - start for start, end in regions) / sample_rate
