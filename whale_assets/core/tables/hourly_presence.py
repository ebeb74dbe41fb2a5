"""Hourly humpback presence from a day's score track (one score per model window).

Per UTC hour (a window belongs to the hour its start falls in):
- `n_scores`: windows with a score (fewer than ~3 636 means gaps or missing audio);
- `max_score`: the highest raw score (NaN without scores);
- `n_above_threshold`: windows whose median-filtered score is at or above `threshold`;
- `present`: those windows cover at least `min_seconds` (each window stands for one step,
  0.99 s for the humpback model).

The median filter runs over each stretch of consecutive windows separately: it never bridges
a gap in the track, so scores on either side of missing audio do not mix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whale_assets.core.scoring.pooling import DEFAULT_RULE, DetectionRule, filtered_by_stretch
from whale_assets.core.scoring.track import infer_step_ns
from whale_assets.core.utc import Day

PRESENCE_COLUMNS = {
    "date": "datetime64[us]",
    "hour_utc": "datetime64[us]",
    "n_scores": "int64",
    "max_score": "float64",
    "n_above_threshold": "int64",
    "present": "bool",
}
PRESENCE_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the partition",
    "hour_utc": "Start of the UTC hour",
    "n_scores": "Model windows with a score in the hour (fewer than ~3 636: gaps or missing audio)",
    "max_score": "Highest raw score in the hour (NaN without scores)",
    "n_above_threshold": "Windows whose median-filtered score reached the threshold",
    "present": "Those windows cover at least `min_seconds`: song present in the hour",
}


def hourly_presence(
    day: Day,
    times_utc: np.ndarray,
    scores: np.ndarray,
    rule: DetectionRule = DEFAULT_RULE,
    min_seconds: float = 10.0,
    step_s: float | None = None,
) -> pd.DataFrame:
    """24 rows, one per UTC hour of `day`, from window start times (naive UTC) and their scores.

    NaN scores (no audio) are dropped first. `step_s` defaults to the track's own step.
    """
    times = np.asarray(times_utc, dtype="datetime64[ns]")
    values = np.asarray(scores, dtype=np.float64)
    if times.shape != values.shape:
        raise ValueError(f"times {times.shape} and scores {values.shape} differ in shape")
    keep = ~np.isnan(values)
    times, values = times[keep], values[keep]
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    step_ns = round(step_s * 1e9) if step_s is not None else infer_step_ns(times)
    filtered = filtered_by_stretch(times, values, step_ns, rule.median_filter_windows)
    step_seconds = (step_ns or 0) / 1e9

    hour = (times - day.start_ns).astype("timedelta64[h]").astype(np.int64)
    in_day = (hour >= 0) & (hour < 24)
    hour, values, filtered = hour[in_day], values[in_day], filtered[in_day]
    n_scores = np.bincount(hour, minlength=24)
    above = np.bincount(hour, weights=filtered >= rule.threshold, minlength=24).astype(np.int64)
    max_score = np.full(24, np.nan)
    np.fmax.at(max_score, hour, values)
    frame = pd.DataFrame(
        {
            "date": day.start,
            "hour_utc": day.start + pd.to_timedelta(np.arange(24), unit="h"),
            "n_scores": n_scores.astype(np.int64),
            "max_score": max_score,
            "n_above_threshold": above,
            "present": (n_scores > 0) & (above * step_seconds >= min_seconds - 1e-9),
        }
    )
    return frame.astype(PRESENCE_COLUMNS)
