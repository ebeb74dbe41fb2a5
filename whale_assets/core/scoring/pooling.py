"""From per-window scores to one number or one decision per encounter window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from whale_assets.core.scoring.track import infer_step_ns

POOLING_METHODS = ("mean", "max", "median", "p90")


def pool_scores(scores: np.ndarray, method: str) -> float:
    """One summary of `scores` by `method` (one of `POOLING_METHODS`); NaN when there are none."""
    if method not in POOLING_METHODS:
        raise ValueError(f"unknown pooling method {method!r}; valid: {', '.join(POOLING_METHODS)}")
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if scores.size == 0:
        return float("nan")
    if method == "mean":
        return float(scores.mean())
    if method == "max":
        return float(scores.max())
    if method == "median":
        return float(np.median(scores))
    return float(np.percentile(scores, 90))


def check_kernel(kernel: int) -> None:
    """Raise ValueError unless `kernel` is an odd integer >= 1 (a median filter's length)."""
    if not isinstance(kernel, (int, np.integer)) or kernel < 1 or kernel % 2 == 0:
        raise ValueError(f"kernel={kernel!r} must be an odd integer >= 1")


def median_filtered(scores: np.ndarray, kernel: int) -> np.ndarray:
    """Running median over `kernel` (odd) windows; edges repeat the end values, never zeros.

    A single loud window (a click, a bump on the hydrophone) cannot survive a median of 3 or more.
    """
    check_kernel(kernel)
    scores = np.asarray(scores)
    if scores.ndim != 1:
        raise ValueError(f"scores must be 1-D, got shape {scores.shape}")
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    if scores.size == 0 or kernel == 1:
        return scores.copy()
    return ndimage.median_filter(scores, size=kernel, mode="nearest")


@dataclass(frozen=True)
class DetectionRule:
    """Song where the median of `median_filter_windows` consecutive scores reaches `threshold`: the one
    rule whale_results, hourly_presence, raven_selections and encounter_clips detect with."""

    threshold: float = 0.5
    median_filter_windows: int = 5

    def __post_init__(self) -> None:
        check_kernel(self.median_filter_windows)
        if not 0 <= self.threshold <= 1:
            raise ValueError(f"threshold={self.threshold!r} must be between 0 and 1")


DEFAULT_RULE = DetectionRule()  # every asset's default: threshold 0.5, median of 5 windows


@dataclass(frozen=True)
class Detection:
    detected: bool
    """Whether the median-filtered score reaches the threshold anywhere."""
    peak_index: int | None
    """Window index of the filtered trace's maximum (first one on ties); None without windows."""
    max_score: float
    """Maximum of the filtered trace (NaN without windows)."""


def detect(scores: np.ndarray, rule: DetectionRule = DEFAULT_RULE, times: np.ndarray | None = None) -> Detection:
    """Median-filter `scores` as `rule` says and compare the result with its threshold.

    With the windows' start `times`, the filter never bridges a gap between scored stretches.
    """
    if times is None:
        filtered = median_filtered(scores, rule.median_filter_windows)
    else:
        filtered = filtered_by_stretch(times, scores, infer_step_ns(times), rule.median_filter_windows)
    if filtered.size == 0:
        return Detection(detected=False, peak_index=None, max_score=float("nan"))
    peak = int(np.argmax(filtered))  # argmax returns the first of equal maxima
    best = float(filtered[peak])
    return Detection(detected=bool(best >= rule.threshold), peak_index=peak, max_score=best)


def stretch_starts(times: np.ndarray, step_ns: int | None) -> np.ndarray:
    """True where a window starts a new stretch: more than one step (plus rounding) after the previous one.

    The one rule for "consecutive windows": the median filter, the Raven selections and the score
    panel's broken lines all use it.
    """
    t = np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
    starts = np.zeros(t.size, dtype=bool)
    if t.size:
        starts[0] = True
    if step_ns is not None and t.size > 1:
        starts[1:] = np.diff(t) > step_ns + step_ns // 2
    return starts


def filtered_by_stretch(times: np.ndarray, scores: np.ndarray, step_ns: int | None, kernel: int) -> np.ndarray:
    """Median-filtered scores (sorted by time), each stretch of consecutive windows on its own."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size == 0 or step_ns is None:
        return median_filtered(scores, kernel)
    breaks = np.flatnonzero(stretch_starts(times, step_ns)[1:]) + 1
    return np.concatenate([median_filtered(part, kernel) for part in np.split(scores, breaks)])
