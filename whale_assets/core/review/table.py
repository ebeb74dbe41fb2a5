"""The `detector_performance` table: per classifier label, rows per score bin, per threshold, and the
thresholds the logistic fit gives for the target precisions; recall where whole days were reviewed.

The verdict counts are `n_true`, `n_false`, `n_unsure`, not `true`/`false`/`unsure`: those are SQL
literals, so a DuckDB query of `true` would read the constant, not the column.
"""

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

DEFAULT_THRESHOLDS: tuple[float, ...] = (*np.round(np.arange(0.5, 0.96, 0.05), 2), 0.99, 0.999)

PERFORMANCE_DTYPES = {
    "classifier": "string",
    "kind": "string",
    "score_low": "float64",
    "score_high": "float64",
    "reviewed": "int64",
    "n_true": "int64",
    "n_false": "int64",
    "n_unsure": "int64",
    "precision": "float64",
    "precision_low": "float64",
    "precision_high": "float64",
    "detections": "int64",
    "whole_days": "int64",
    "n_song": "int64",
    "n_missed": "int64",
    "recall": "float64",
    "recall_low": "float64",
    "recall_high": "float64",
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
    "reviewed": "Reviewed detections counted in the row (n_true + n_false + n_unsure)",
    "n_true": "Verdicts: humpback song",
    "n_false": "Verdicts: not humpback song",
    "n_unsure": "Verdicts: reviewed but undecided (never in precision)",
    "precision": "n_true / (n_true + n_false)",
    "precision_low": "Lower end of the 95 % Wilson interval of precision",
    "precision_high": "Upper end of the 95 % Wilson interval of precision",
    "detections": "All detections (reviewed or not) in the bin or at or above the threshold",
    "whole_days": "`threshold` and `fit` rows: days whose audio was reviewed in full (whole-day reviews), behind recall",
    "n_song": "Song on those days: detections judged true, and selections the analysts added for song the detector missed",
    "n_missed": "Of that song, what the threshold does not keep: true detections scoring below it, and the added selections",
    "recall": "(n_song - n_missed) / n_song: the share of the wholly reviewed days' song kept at the threshold",
    "recall_low": "Lower end of the 95 % Wilson interval of recall",
    "recall_high": "Upper end of the 95 % Wilson interval of recall",
    "target_precision": "`fit` rows: the precision the threshold is chosen for",
    "fit_intercept": "`fit` rows: intercept of P(true) = 1 / (1 + exp(-(a + b logit(score))))",
    "fit_slope": "`fit` rows: slope b of the same fit",
}


@dataclass(frozen=True)
class ReviewedScores:
    """One classifier's reviewed detections (score and verdict) and the scores of all its detections;
    for recall, which verdicts come from wholly reviewed days and the song analysts added there."""

    classifier: str
    scores: np.ndarray
    verdicts: Sequence[Verdict]
    all_scores: np.ndarray
    whole_day: np.ndarray | None = None  # per verdict: from a whole-day review (None: none is)
    whole_days: int = 0  # days reviewed in full
    added_song: int = 0  # selections analysts added on those days (verdict yes): song never detected

    def song_scores(self) -> np.ndarray:
        """Scores of the detections judged true on wholly reviewed days."""
        if self.whole_day is None:
            return np.zeros(0)
        is_true = np.asarray([verdict is Verdict.TRUE for verdict in self.verdicts], dtype=bool)
        return np.asarray(self.scores, dtype="float64")[is_true & np.asarray(self.whole_day, dtype=bool)]


def recall_at(group: ReviewedScores, threshold: float | None) -> dict[str, object]:
    """Recall columns at `threshold` (None: nothing kept); NaN recall without wholly reviewed days' song."""
    song = group.song_scores()
    n_song = song.size + group.added_song
    kept = int(np.sum(song >= threshold)) if threshold is not None else 0
    low, high = wilson_interval(kept, n_song)
    return {
        "whole_days": group.whole_days,
        "n_song": n_song,
        "n_missed": n_song - kept,
        "recall": kept / n_song if n_song else np.nan,
        "recall_low": low,
        "recall_high": high,
    }


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
                {
                    "classifier": group.classifier,
                    "kind": "bin",
                    "score_low": row.low,
                    "score_high": row.high,
                    "reviewed": row.reviewed,
                    "n_true": row.true,
                    "n_false": row.false,
                    "n_unsure": row.unsure,
                    "precision": row.precision,
                    "precision_low": low,
                    "precision_high": high,
                    "detections": int(detections),
                }
            )
        reviewed_at = performance_by_threshold(group.scores, group.verdicts, group.all_scores, thresholds)
        for at in reviewed_at:
            low, high = wilson_interval(at.true, at.true + at.false)
            unsure = sum(
                1
                for s, v in zip(group.scores, group.verdicts, strict=True)
                if v is Verdict.UNSURE and s >= at.threshold
            )
            rows.append(
                {
                    "classifier": group.classifier,
                    "kind": "threshold",
                    "score_low": at.threshold,
                    "reviewed": at.true + at.false + unsure,
                    "n_true": at.true,
                    "n_false": at.false,
                    "n_unsure": unsure,
                    "precision": at.precision,
                    "precision_low": low,
                    "precision_high": high,
                    "detections": at.detections_kept,
                    **recall_at(group, at.threshold),
                }
            )
        fit = fit_logistic(group.scores, group.verdicts)
        for target in targets:
            threshold = fit.threshold_for(target) if fit else None
            kept = int(np.sum(group.all_scores >= threshold)) if threshold is not None else 0
            rows.append(
                {
                    "classifier": group.classifier,
                    "kind": "fit",
                    "score_low": np.nan if threshold is None else threshold,
                    "reviewed": fit.n_verdicts if fit else 0,
                    "detections": kept,
                    "target_precision": target,
                    "fit_intercept": fit.intercept if fit else np.nan,
                    "fit_slope": fit.slope if fit else np.nan,
                    **recall_at(group, threshold),
                }
            )
    table = pd.DataFrame(rows, columns=list(PERFORMANCE_DTYPES))
    counts = ["reviewed", "n_true", "n_false", "n_unsure", "detections", "whole_days", "n_song", "n_missed"]
    table[counts] = table[counts].fillna(0)
    return table.astype(PERFORMANCE_DTYPES)


REVIEWED_DTYPES = {
    "date": "datetime64[us]",
    "selection": "Int64",
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
    "whole_day": "bool",
}
REVIEWED_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the raven_selections table the verdict judges",
    "selection": "That table's Selection number (as stored now); empty for a selection an analyst added",
    "begin_utc": "Selection start, UTC (as stored now)",
    "end_utc": "Selection end, UTC (as stored now)",
    "confidence": "The selection's score (as stored now)",
    "source": "Which scores found it: encounter, daily_scores or both",
    "encounter_id": "Encounters whose window holds it, ';'-separated",
    "classifier": "Classifier label that scored it",
    "verdict": "true, false or unsure",
    "match": "current: the reviewed row is the selection as stored; stale: the table changed since the review; "
    "added: a selection the analyst drew in a whole-day review (song the detector missed; no detection, no score)",
    "review_file": "The review file, under the reviews folder",
    "review_line": "Its line in that file (header = 1)",
    "whole_day": "The review file says the day's audio was reviewed in full (`whole-day` in its name): recall counts it",
}


def reviewed_table(joined: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Joined verdicts (`core/review/reviews.join_verdicts`) as the stored `reviewed_detections` rows."""
    frame = joined.reindex(columns=list(REVIEWED_DTYPES))
    frame["date"] = pd.Timestamp(day)
    frame["whole_day"] = frame["whole_day"].astype("boolean").fillna(False).astype(bool)
    return frame.astype(REVIEWED_DTYPES)


def reviewed_scores(verdicts: pd.DataFrame | None, detections: pd.DataFrame | None) -> list[ReviewedScores]:
    """Stored `reviewed_detections` and `raven_selections` rows as one ReviewedScores per classifier:
    its scored verdicts, the scores of all its detections, and the whole-day reviews behind recall."""
    if verdicts is None or not len(verdicts):
        return []
    match = verdicts["match"] if "match" in verdicts else pd.Series("current", index=verdicts.index)
    whole = verdicts["whole_day"] if "whole_day" in verdicts else pd.Series(False, index=verdicts.index)
    whole = whole.astype("boolean").fillna(False).astype(bool)
    groups = []
    for classifier, rows in verdicts.groupby(verdicts["classifier"].fillna("unknown")):
        mine = rows
        if detections is not None and len(detections):
            labels = detections["classifier"].fillna("unknown") if "classifier" in detections else "unknown"
            mine = detections[labels == classifier]
        added = match[rows.index] == "added"
        detected = rows[~added]
        whole_days = (
            {pd.Timestamp(day).date() for day in rows.loc[whole[rows.index], "date"]} if "date" in rows else set()
        )
        groups.append(
            ReviewedScores(
                classifier=str(classifier),
                scores=detected["confidence"].to_numpy("float64"),
                verdicts=[Verdict(value) for value in detected["verdict"]],
                all_scores=mine["confidence"].to_numpy("float64"),
                whole_day=whole[detected.index].to_numpy(bool),
                whole_days=len(whole_days),
                added_song=int(((rows["verdict"] == Verdict.TRUE.value) & added & whole[rows.index]).sum()),
            )
        )
    return groups
