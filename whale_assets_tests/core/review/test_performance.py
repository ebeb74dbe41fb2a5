import math

import numpy as np
import pytest

from whale_assets.core.review.performance import (
    fit_logistic,
    performance_by_bin,
    performance_by_threshold,
    score_bin,
    wilson_interval,
)
from whale_assets.core.review.verdicts import Verdict

T, F, U = Verdict.TRUE, Verdict.FALSE, Verdict.UNSURE


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson_interval(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert wilson_interval(0, 5)[0] == 0.0 and wilson_interval(5, 5)[1] == 1.0
    assert all(math.isnan(value) for value in wilson_interval(0, 0))


def test_scores_fall_into_half_open_bins_with_the_top_edge_in_the_last_bin():
    edges = (0.0, 0.5, 0.8, 1.0)
    assert score_bin(np.array([0.0, 0.49, 0.5, 0.79, 0.8, 1.0, 1.2, np.nan]), edges).tolist() == [
        0,
        0,
        1,
        1,
        2,
        2,
        -1,
        -1,
    ]


def test_bins_count_true_false_and_unsure_and_precision_ignores_unsure():
    scores = np.array([0.55, 0.56, 0.57, 0.58, 0.85, 0.9, 0.95])
    verdicts = [T, F, U, F, T, T, U]
    rows = performance_by_bin(scores, verdicts, edges=(0.0, 0.5, 0.8, 1.0))
    assert [(r.reviewed, r.true, r.false, r.unsure) for r in rows] == [(0, 0, 0, 0), (4, 1, 2, 1), (3, 2, 0, 1)]
    assert rows[1].precision == pytest.approx(1 / 3)
    assert rows[2].precision == 1.0
    assert math.isnan(rows[0].precision)


def test_threshold_rows_count_kept_detections_among_all_not_only_the_reviewed():
    rows = performance_by_threshold(
        np.array([0.6, 0.7, 0.9]),
        [F, T, T],
        all_scores=np.array([0.1, 0.6, 0.65, 0.7, 0.9, 0.95]),
        thresholds=(0.5, 0.8),
    )
    assert [(r.detections_kept, r.true, r.false) for r in rows] == [(5, 2, 1), (2, 1, 0)]
    assert rows[0].precision == pytest.approx(2 / 3)


def _independent_irls(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Newton-Raphson (IRLS) on the same likelihood, written separately from the code under test."""
    beta = np.zeros(2)
    design = np.column_stack([np.ones_like(x), x])
    for _ in range(100):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (y - p) - 2e-3 * beta
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + 2e-3 * np.eye(2)
        beta = beta + np.linalg.solve(hessian, gradient)
    return float(beta[0]), float(beta[1])


def test_the_logistic_fit_agrees_with_an_independent_newton_solver_and_gives_ordered_thresholds():
    rng = np.random.default_rng(3)
    scores = rng.uniform(0.5, 1.0, 400)
    x = np.log(scores / (1 - scores))
    truth = rng.uniform(size=scores.size) < 1 / (1 + np.exp(-(-2.0 + 2.5 * x)))
    verdicts = [T if true else F for true in truth]
    fit = fit_logistic(scores, verdicts)

    intercept, slope = _independent_irls(x, truth.astype(float))
    assert fit.intercept == pytest.approx(intercept, abs=1e-3)
    assert fit.slope == pytest.approx(slope, abs=1e-3)
    assert fit.n_verdicts == 400
    t90, t95 = fit.threshold_for(0.90), fit.threshold_for(0.95)
    assert 0.5 < t90 < t95 < 1.0
    assert fit.probability(t90) == pytest.approx(0.90, abs=1e-6)


def test_no_fit_without_both_true_and_false_verdicts():
    assert fit_logistic(np.array([0.6, 0.7]), [T, T]) is None
    assert fit_logistic(np.array([0.6, 0.7]), [T, U]) is None
