"""Score tracks: each model score stored with the UTC start of the window it judged."""

from __future__ import annotations

import numpy as np
import pandas as pd

SCORE_TRACK_DTYPE = np.dtype([("start_utc", "datetime64[ns]"), ("score", "float32")])


def score_track(first_window_utc: pd.Timestamp, scores: np.ndarray, step_s: float) -> np.ndarray:
    """A structured array of (start_utc, score); window i starts at first + i * step_s."""
    start = pd.Timestamp(first_window_utc)
    start = start.tz_convert("UTC").tz_localize(None) if start.tzinfo is not None else start
    offsets_ns = np.round(np.arange(scores.size) * step_s * 1e9).astype("timedelta64[ns]")
    track = np.empty(scores.size, dtype=SCORE_TRACK_DTYPE)
    track["start_utc"] = np.datetime64(start.to_datetime64(), "ns") + offsets_ns
    track["score"] = scores
    return track
