"""What to review: a sample of detections stratified by score bin, reproducible by seed.

Reviewing a fixed number per bin (instead of a random sample of all detections, which the many
low-score detections dominate) gives every bin's precision with a known error; each bin's estimate
is unbiased because the rows inside a bin are drawn uniformly.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from whale_assets.core.review.performance import DEFAULT_BIN_EDGES, score_bin

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
