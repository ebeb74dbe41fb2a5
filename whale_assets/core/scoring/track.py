"""Score tracks: each model score stored with the UTC start of the window it judged.

A sifted span's track can also be taken from full-day scores instead of scoring the span again:
a day row belongs to a span when the model's whole context [start, start + context] lies inside
the span (the windows the model would judge on the span's audio, but on the day's grid).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.classifier import Classifier
from whale_assets.core.utc import naive_utc, naive_utc_ns

SCORE_TRACK_DTYPE = np.dtype([("start_utc", "datetime64[ns]"), ("score", "float32")])


def score_track(first_window_utc: pd.Timestamp, scores: np.ndarray, step_s: float) -> np.ndarray:
    """A structured array of (start_utc, score); window i starts at first + i * step_s."""
    offsets_ns = np.round(np.arange(scores.size) * step_s * 1e9).astype("timedelta64[ns]")
    track = np.empty(scores.size, dtype=SCORE_TRACK_DTYPE)
    track["start_utc"] = naive_utc_ns(first_window_utc) + offsets_ns
    track["score"] = scores
    return track


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
    start = naive_utc_ns(start_utc)
    end = naive_utc_ns(end_utc)
    inside = (times >= start) & (times + context <= end)
    order = np.argsort(times[inside], kind="stable")
    track = np.empty(order.size, dtype=SCORE_TRACK_DTYPE)
    track["start_utc"] = times[inside][order]
    track["score"] = values[inside][order]
    return track


def infer_step_ns(times: np.ndarray) -> int | None:
    """The track's step: the smallest positive gap between window starts (None with < 2 windows)."""
    t = np.sort(np.asarray(times, dtype="datetime64[ns]").astype(np.int64))
    gaps = np.diff(t)
    gaps = gaps[gaps > 0]
    return int(gaps.min()) if gaps.size else None


def score_segments(
    classifier: Classifier, audio: np.ndarray, sample_rate: int, segments: Sequence[tuple[object, object]]
) -> np.ndarray:
    """One track over stretches of audio stored one after another: each scored on its own.

    `segments` are the stretches' (start, end) UTC times, in the order their samples lie in
    `audio`; no model window spans two stretches, so nothing between them is made up.
    """
    tracks, offset = [], 0
    for index, (start, end) in enumerate(segments):
        last = index == len(segments) - 1
        n = audio.size - offset if last else round((naive_utc(end) - naive_utc(start)).total_seconds() * sample_rate)
        piece = resample_exact(np.asarray(audio[offset : offset + n]), sample_rate, classifier.grid.sample_rate)
        tracks.append(score_track(start, classifier.score(piece), classifier.grid.step_s))
        offset += n
    return np.concatenate(tracks) if tracks else np.empty(0, dtype=SCORE_TRACK_DTYPE)
