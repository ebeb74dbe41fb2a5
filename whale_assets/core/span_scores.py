"""A sifted span's score track taken from full-day scores instead of scoring the span again.

A day row belongs to a span when the model's whole context [start, start + context] lies inside
the span: the windows the model would judge if it scored the span's audio itself, but on the
day's grid (midnight + i x step) rather than the span's own (span start + i x step).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from whale_assets.core.score_track import SCORE_TRACK_DTYPE


def naive_utc(value: object) -> pd.Timestamp:
    """`value` as a zone-less UTC timestamp (aware ones are converted, naive ones taken as UTC)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def days_touched(start_utc: object, end_utc: object, context_s: float) -> list[dt.date]:
    """UTC days on which a window lying wholly inside [start, end] can start, in order.

    None when the span is shorter than one context; two (or more) when it crosses midnight.
    """
    first = naive_utc(start_utc)
    last = naive_utc(end_utc) - pd.Timedelta(seconds=context_s)
    if last < first:
        return []
    return [day.date() for day in pd.date_range(first.normalize(), last.normalize(), freq="D")]


def span_track(
    times_utc: np.ndarray, scores: np.ndarray, start_utc: object, end_utc: object, context_s: float
) -> np.ndarray:
    """The (start_utc, score) rows whose whole context lies in [start, end], in time order.

    `times_utc` are window starts (naive UTC); the result has the same dtype as `score_track`.
    """
    times = np.asarray(times_utc, dtype="datetime64[ns]")
    values = np.asarray(scores, dtype=np.float32)
    if times.shape != values.shape:
        raise ValueError(f"times {times.shape} and scores {values.shape} differ in shape")
    # Integer nanoseconds: 3.9124 s must not become 3.91239999 s and drop the last window.
    context = np.timedelta64(round(context_s * 1e9), "ns")
    start = np.datetime64(naive_utc(start_utc).to_datetime64(), "ns")
    end = np.datetime64(naive_utc(end_utc).to_datetime64(), "ns")
    inside = (times >= start) & (times + context <= end)
    order = np.argsort(times[inside], kind="stable")
    track = np.empty(order.size, dtype=SCORE_TRACK_DTYPE)
    track["start_utc"] = times[inside][order]
    track["score"] = values[inside][order]
    return track
