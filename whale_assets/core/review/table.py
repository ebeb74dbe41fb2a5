"""The `detector_performance` table: per classifier label, rows per score bin, per threshold, and the
thresholds the logistic fit gives for the target precisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from whale_assets.core.review.performance import (
    DEFAULT_BIN_EDGES,
    TARGET_PRECISIONS,
    fit_logistic,
    performance_by_bin,
    performance_by_threshold,
    wilson_interval,
)
from whale_assets.core.review.verdicts import Verdict

DEFAULT_THRESHOLDS: tuple[float, ...] = tuple(np.round(np.arange(0.5, 0.96, 0.05), 2))

PERFORMANCE_DTYPES = {
    "classifier": "string",
    "kind": "string",
    "score_low": "float64",
    "score_high": "float64",
    "reviewed": "int64",
    "true": "int64",
    "false": "int64",
    "unsure": "int64",
    "precision": "float64",
    "precision_low": "float64",
    "precision_high": "float64",
    "detections": "int64",
    "target_precision": "float64",
    "fit_intercept": "float64",
    "fit_slope": "float64",
}
PERFORMANCE_DESCRIPTIONS: dict[str, str] = {
    "classifier": "Classifier label (with its precision) that scored the reviewed detections",
    "kind": "`bin`: detections scoring in [score_low, score_high); `threshold`: scoring >= score_low; "
    "`fit`: the score (score_low) where the logistic fit reaches target_precision",
    "score_low": "Bin's lower edge, the threshold, or the fitted threshold (NaN when the fit never reaches it)",
    "score_high": "Bin's upper edge (NaN for other kinds)",
    "reviewed": "Reviewed detections counted in the row (true + false + unsure)",
    "true": "Verdicts: humpback song",
    "false": "Verdicts: not humpback song",
    "unsure": "Verdicts: reviewed but undecided (never in precision)",
    "precision": "true / (true + false)",
    "precision_low": "Lower end of the 95 % Wilson interval of precision",
    "precision_high": "Upper end of the 95 % Wilson interval of precision",
    "detections": "All detections (reviewed or not) in the bin or at or above the threshold",
    "target_precision": "`fit` rows: the precision the threshold is chosen for",
    "fit_intercept": "`fit` rows: intercept of P(true) = 1 / (1 + exp(-(a + b logit(score))))",
    "fit_slope": "`fit` rows: slope b of the same fit",
}


@dataclass(frozen=True)
class ReviewedScores:
    """One classifier's reviewed detections (score and verdict) and the scores of all its detections."""

    classifier: str
    scores: np.ndarray
    verdicts: Sequence[Verdict]
    all_scores: np.ndarray


def performance_table(
    reviewed: Sequence[ReviewedScores],
    edges: Sequence[float] = DEFAULT_BIN_EDGES,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    targets: Sequence[float] = TARGET_PRECISIONS,
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for group in reviewed:
        all_bins = np.histogram(np.clip(group.all_scores, edges[0], edges[-1]), bins=np.asarray(edges))[0]
        for row, detections in zip(performance_by_bin(group.scores, group.verdicts, edges), all_bins, strict=True):
            low, high = row.interval
            rows.append(
                {"classifier": group.classifier, "kind": "bin", "score_low": row.low, "score_high": row.high,
                 "reviewed": row.reviewed, "true": row.true, "false": row.false, "unsure": row.unsure,
                 "precision": row.precision, "precision_low": low, "precision_high": high,
                 "detections": int(detections)}
            )
        reviewed_at = performance_by_threshold(group.scores, group.verdicts, group.all_scores, thresholds)
        for at in reviewed_at:
            low, high = wilson_interval(at.true, at.true + at.false)
            unsure = sum(1 for s, v in zip(group.scores, group.verdicts, strict=True)
                         if v is Verdict.UNSURE and s >= at.threshold)
            rows.append(
                {"classifier": group.classifier, "kind": "threshold", "score_low": at.threshold,
                 "reviewed": at.true + at.false + unsure, "true": at.true, "false": at.false, "unsure": unsure,
                 "precision": at.precision, "precision_low": low, "precision_high": high,
                 "detections": at.detections_kept}
            )
        fit = fit_logistic(group.scores, group.verdicts)
        for target in targets:
            threshold = fit.threshold_for(target) if fit else None
            kept = int(np.sum(group.all_scores >= threshold)) if threshold is not None else 0
            rows.append(
                {"classifier": group.classifier, "kind": "fit", "score_low": np.nan if threshold is None else threshold,
                 "reviewed": fit.n_verdicts if fit else 0, "detections": kept, "target_precision": target,
                 "fit_intercept": fit.intercept if fit else np.nan, "fit_slope": fit.slope if fit else np.nan}
            )
    table = pd.DataFrame(rows, columns=list(PERFORMANCE_DTYPES))
    counts = ["reviewed", "true", "false", "unsure", "detections"]
    table[counts] = table[counts].fillna(0)
    return table.astype(PERFORMANCE_DTYPES)


REVIEWED_DTYPES = {
    "date": "datetime64[us]",
    "selection": "int64",
    "begin_utc": "datetime64[us]",
    "end_utc": "datetime64[us]",
    "confidence": "float64",
    "source": "string",
    "encounter_id": "string",
    "classifier": "string",
    "verdict": "string",
    "match": "string",
    "review_file": "string",
    "review_line": "int64",
}
REVIEWED_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the raven_selections table the verdict judges",
    "selection": "That table's Selection number (as stored now)",
    "begin_utc": "Selection start, UTC (as stored now)",
    "end_utc": "Selection end, UTC (as stored now)",
    "confidence": "The selection's score (as stored now)",
    "source": "Which scores found it: encounter, daily_scores or both",
    "encounter_id": "Encounters whose window holds it, ';'-separated",
    "classifier": "Classifier label that scored it",
    "verdict": "true, false or unsure",
    "match": "current: the reviewed row is the selection as stored; stale: the table changed since the review",
    "review_file": "The review file, under the reviews folder",
    "review_line": "Its line in that file (header = 1)",
}


def reviewed_table(joined: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Joined verdicts (`core/review/reviews.join_verdicts`) as the stored `reviewed_detections` rows."""
    frame = joined.reindex(columns=list(REVIEWED_DTYPES))
    frame["date"] = pd.Timestamp(day)
    return frame.astype(REVIEWED_DTYPES)
