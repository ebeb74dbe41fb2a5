"""What to review: a sample of detections stratified by score bin, reproducible by seed.

Reviewing a fixed number per bin (instead of a random sample of all detections, which the many
low-score detections dominate) gives every bin's precision with a known error; each bin's estimate
is unbiased because the rows inside a bin are drawn uniformly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from whale_assets.core.audio.clips import clip_span
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE, DAY_SECONDS
from whale_assets.core.reports.raven import day_file_name
from whale_assets.core.review.performance import DEFAULT_BIN_EDGES, score_bin

CLIP_CONTEXT_S = 2.0
"""Audio kept before and after a sampled selection in its clip: enough to hear the unit's onset."""

SAMPLE_COLUMNS = ("score_bin_low", "score_bin_high", "bin_detections", "bin_sampled")


def stratified_sample(
    detections: pd.DataFrame,
    per_bin: int,
    seed: int,
    edges: Sequence[float] = DEFAULT_BIN_EDGES,
    score_column: str = "confidence",
) -> pd.DataFrame:
    """Up to `per_bin` rows of each score bin, drawn uniformly with `seed`; every non-empty bin appears.

    The rows come back in their input order (the caller sorts for the table), with the bin's edges,
    its number of detections and how many of them were sampled, so a bin's weight is known.
    """
    if per_bin < 1:
        raise ValueError(f"per_bin={per_bin}: sample at least one detection per score bin")
    generator = np.random.default_rng(seed)
    bins = score_bin(detections[score_column].to_numpy(), edges)
    chosen: list[np.ndarray] = []
    columns: dict[str, list[float]] = {name: [] for name in SAMPLE_COLUMNS}
    for index in range(len(edges) - 1):
        members = np.flatnonzero(bins == index)
        if members.size == 0:
            continue
        picked = np.sort(generator.choice(members, size=min(per_bin, members.size), replace=False))
        chosen.append(picked)
        for _ in picked:
            columns["score_bin_low"].append(edges[index])
            columns["score_bin_high"].append(edges[index + 1])
            columns["bin_detections"].append(members.size)
            columns["bin_sampled"].append(picked.size)
    if not chosen:
        return detections.iloc[0:0].assign(**{name: pd.Series(dtype="float64") for name in SAMPLE_COLUMNS})
    order = np.concatenate(chosen)
    sample = detections.iloc[order].assign(**columns)
    return sample.sort_index(kind="stable")


@dataclass(frozen=True)
class SampleClip:
    """Where a sampled selection's clip lies in its day file, and what it is called."""

    name: str  # `<day file stem>.sel<NNN>.<HHMMSS.fff>Z.wav`: the table, the selection, its start
    start_utc: pd.Timestamp  # clip start (naive UTC)
    n_samples: int
    selection_offset_s: float  # where the selection begins in the clip (Raven's time in the clip)


def sample_clip(
    file_day: dt.date,
    selection: int,
    offset_s: float,
    duration_s: float,
    context_s: float = CLIP_CONTEXT_S,
    sample_rate: int = ARCHIVE_SAMPLE_RATE,
) -> SampleClip:
    """The clip of one sampled selection (`offset_s` seconds into its day file): the selection with
    `context_s` either side, moved inside the day file at its edges (the core's `clip_span`)."""
    day_start = pd.Timestamp(file_day)
    begin = day_start + pd.Timedelta(seconds=offset_s)
    span = clip_span(
        day_start,
        DAY_SECONDS * sample_rate,
        sample_rate,
        begin + pd.Timedelta(seconds=duration_s / 2),
        duration_s + 2 * context_s,
    )
    stem = day_file_name(file_day).removesuffix(".wav")
    name = f"{stem}.sel{selection:03d}.{begin:%H%M%S.%f}"[:-3] + "Z.wav"
    return SampleClip(name, span.start_utc, span.n_samples, round((begin - span.start_utc).total_seconds(), 6))
