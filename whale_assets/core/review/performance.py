"""Detector performance from reviewed detections: precision per score bin and per threshold, and
the logistic fit of P(true | score) that gives the threshold for a target precision.

The fit follows the practice of BirdNET users (Wood & Kahl 2024): a logistic regression of the
verdict on the logit of the score, from which the score where P(true) reaches 0.90 or 0.95 is read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from whale_assets.core.review.verdicts import Verdict

# 0.99 and 0.999 split the top bin: detectors' scores pile up near 1 (the energy detector's and the
# humpback model's do), and that is where the threshold for 0.90 or 0.95 precision then lies.
DEFAULT_BIN_EDGES: tuple[float, ...] = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99, 0.999, 1.0)
TARGET_PRECISIONS: tuple[float, ...] = (0.90, 0.95)
# Scores are clipped this far from 0 and 1 before the logit, so a score of exactly 1.0 stays finite.
LOGIT_EPSILON = 1e-6


@dataclass(frozen=True)
class BinPerformance:
    low: float
    high: float
    reviewed: int
    true: int
    false: int
    unsure: int

    @property
    def decided(self) -> int:
        return self.true + self.false

    @property
    def precision(self) -> float:
        return self.true / self.decided if self.decided else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.true, self.decided)


@dataclass(frozen=True)
class LogisticFit:
    intercept: float
    slope: float  # per unit of logit(score)
    n_verdicts: int  # true + false verdicts the fit rests on

    def probability(self, score: np.ndarray | float) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * logit(score))))

    def threshold_for(self, precision: float) -> float | None:
        """The score where P(true | score) reaches `precision`; None where the fit never gets there in (0, 1)."""
        if self.slope <= 0:
            return None
        score = float(expit((math.log(precision / (1 - precision)) - self.intercept) / self.slope))
        return score if 0.0 < score < 1.0 else None


def logit(score: np.ndarray | float) -> np.ndarray:
    clipped = np.clip(np.asarray(score, dtype="float64"), LOGIT_EPSILON, 1 - LOGIT_EPSILON)
    return np.log(clipped / (1 - clipped))


def expit(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (good at small counts and at 0 or 1)."""
    if trials == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, centre - half), min(1.0, centre + half))


def score_bin(scores: np.ndarray, edges: Sequence[float] = DEFAULT_BIN_EDGES) -> np.ndarray:
    """Index of each score's bin, [edge_i, edge_i+1) with the last bin closed at its top; -1 outside."""
    scores = np.asarray(scores, dtype="float64")
    index = np.searchsorted(np.asarray(edges), scores, side="right") - 1
    index[scores == edges[-1]] = len(edges) - 2
    index[(scores < edges[0]) | (scores > edges[-1]) | np.isnan(scores)] = -1
    return index


def performance_by_bin(
    scores: np.ndarray, verdicts: Sequence[Verdict], edges: Sequence[float] = DEFAULT_BIN_EDGES
) -> list[BinPerformance]:
    bins = score_bin(scores, edges)
    verdict_array = np.asarray([verdict.value for verdict in verdicts], dtype=object)
    rows = []
    for index, (low, high) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
        inside = verdict_array[bins == index]
        rows.append(
            BinPerformance(
                low=float(low),
                high=float(high),
                reviewed=len(inside),
                true=int(np.sum(inside == Verdict.TRUE.value)),
                false=int(np.sum(inside == Verdict.FALSE.value)),
                unsure=int(np.sum(inside == Verdict.UNSURE.value)),
            )
        )
    return rows


@dataclass(frozen=True)
class ThresholdPerformance:
    threshold: float
    detections_kept: int  # of all detections (reviewed or not) scoring at or above the threshold
    true: int
    false: int

    @property
    def precision(self) -> float:
        decided = self.true + self.false
        return self.true / decided if decided else math.nan


def performance_by_threshold(
    scores: np.ndarray, verdicts: Sequence[Verdict], all_scores: np.ndarray, thresholds: Sequence[float]
) -> list[ThresholdPerformance]:
    """Precision of the reviewed detections at or above each threshold, and how many detections it keeps.

    With a sample stratified by score bin, this precision is per-bin unbiased only; the bins' own
    precision weighted by each bin's share of all detections is the estimate for the whole set.
    """
    scores = np.asarray(scores, dtype="float64")
    is_true = np.asarray([verdict is Verdict.TRUE for verdict in verdicts])
    is_false = np.asarray([verdict is Verdict.FALSE for verdict in verdicts])
    all_scores = np.asarray(all_scores, dtype="float64")
    return [
        ThresholdPerformance(
            threshold=float(threshold),
            detections_kept=int(np.sum(all_scores >= threshold)),
            true=int(np.sum(is_true & (scores >= threshold))),
            false=int(np.sum(is_false & (scores >= threshold))),
        )
        for threshold in thresholds
    ]


def fit_logistic(scores: np.ndarray, verdicts: Sequence[Verdict]) -> LogisticFit | None:
    """Maximum-likelihood logistic fit of true/false verdicts on logit(score); None without both kinds.

    Two parameters, so a direct minimisation (scipy) rather than a machine-learning dependency.
    """
    decided = [
        (score, verdict is Verdict.TRUE)
        for score, verdict in zip(scores, verdicts, strict=True)
        if verdict is not Verdict.UNSURE
    ]
    if not decided or all(true for _, true in decided) or not any(true for _, true in decided):
        return None
    x = logit(np.asarray([score for score, _ in decided]))
    y = np.asarray([true for _, true in decided], dtype="float64")

    def negative_log_likelihood(params: np.ndarray) -> float:
        z = params[0] + params[1] * x
        # log(1 + e^z) computed stably; a tiny ridge keeps perfectly separated verdicts finite.
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 1e-3 * (params @ params))

    result = optimize.minimize(negative_log_likelihood, x0=np.zeros(2), method="BFGS")
    return LogisticFit(intercept=float(result.x[0]), slope=float(result.x[1]), n_verdicts=len(decided))
