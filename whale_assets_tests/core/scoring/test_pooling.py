"""Pooling window scores into one value, and median-filtered detection."""

from __future__ import annotations

import math

import numpy as np
import pytest

from whale_assets.core.scoring.pooling import (
    POOLING_METHODS,
    Detection,
    DetectionRule,
    detect,
    median_filtered,
    pool_scores,
    stretch_starts,
)

SCORES = np.array([0.1, 0.2, 0.9, 0.4, 0.3, 0.0, 0.5, 0.6, 0.7, 0.8], dtype=np.float32)


@pytest.mark.parametrize(
    "method, expected",
    [("mean", 0.45), ("max", 0.9), ("median", 0.45), ("p90", 0.81)],
)
def test_each_pooling_method_gives_its_statistic(method: str, expected: float) -> None:
    assert pool_scores(SCORES, method) == pytest.approx(expected, abs=1e-6)


def test_pooling_methods_are_the_four_documented_ones() -> None:
    assert POOLING_METHODS == ("mean", "max", "median", "p90")


@pytest.mark.parametrize("method", POOLING_METHODS)
def test_pooling_nothing_gives_nan(method: str) -> None:
    assert math.isnan(pool_scores(np.zeros(0), method))


def test_unknown_pooling_method_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="'p95'.*mean, max, median, p90"):
        pool_scores(SCORES, "p95")


def test_pooled_value_is_a_plain_float() -> None:
    assert type(pool_scores(SCORES, "max")) is float


def test_median_filter_removes_a_single_spike_and_keeps_a_plateau() -> None:
    scores = np.array([0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0], dtype=np.float32)

    filtered = median_filtered(scores, 3)

    np.testing.assert_array_equal(filtered, [0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0])
    assert filtered.dtype == np.float32


def test_median_filter_repeats_edges_instead_of_inventing_zeros() -> None:
    scores = np.array([0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.8, 0.8, 0.8])

    filtered = median_filtered(scores, 5)

    assert filtered[0] == pytest.approx(0.9) and filtered[-1] == pytest.approx(0.8)


def test_median_filter_with_kernel_longer_than_input_stays_finite_and_sized() -> None:
    filtered = median_filtered(np.array([0.2, 0.8]), 9)

    assert filtered.shape == (2,) and np.all(np.isfinite(filtered))


def test_median_filter_of_nothing_is_nothing() -> None:
    assert median_filtered(np.zeros(0), 5).shape == (0,)


@pytest.mark.parametrize("kernel", [0, 2, 4, -1, 3.0])
def test_median_filter_refuses_even_or_non_integer_kernels(kernel: object) -> None:
    with pytest.raises(ValueError, match="odd"):
        median_filtered(SCORES, kernel)  # type: ignore[arg-type]


def test_detect_finds_a_sustained_run_and_its_peak() -> None:
    scores = np.array([0.1] * 10 + [0.7, 0.8, 0.9, 0.8, 0.7] + [0.1] * 10)

    detection = detect(scores, DetectionRule(0.5, 3))

    # The filtered run is [0.7, 0.8, 0.8, 0.8, 0.7] at windows 10..14: the first 0.8 is the peak.
    assert detection == Detection(detected=True, peak_index=11, max_score=pytest.approx(0.8))


def test_detect_ignores_an_isolated_spike() -> None:
    scores = np.full(30, 0.05)
    scores[15] = 0.99

    detection = detect(scores, DetectionRule(0.5, 5))

    assert detection.detected is False
    assert detection.max_score == pytest.approx(0.05)


def test_detect_takes_the_first_peak_on_ties() -> None:
    scores = np.array([0.0] * 5 + [0.9] * 5 + [0.0] * 5 + [0.9] * 5 + [0.0] * 5)

    assert detect(scores, DetectionRule(median_filter_windows=3)).peak_index == 5


def test_detect_threshold_is_inclusive() -> None:
    assert detect(np.full(7, 0.5), DetectionRule(threshold=0.5)).detected is True
    assert detect(np.full(7, 0.5), DetectionRule(threshold=0.5000001)).detected is False


def test_detect_on_no_windows_reports_nothing() -> None:
    detection = detect(np.zeros(0))

    assert detection.detected is False and detection.peak_index is None and math.isnan(detection.max_score)


def test_a_new_stretch_starts_only_where_the_next_window_is_more_than_one_and_a_half_steps_later():
    step_ns = 990_000_000
    offsets_ns = np.array([0, 1, 2, 3, 4]) * step_ns + np.array([0, 0, 0, step_ns // 2, 2 * step_ns])
    times = np.datetime64("2023-09-14T00:00:00", "ns") + offsets_ns.astype("timedelta64[ns]")
    assert stretch_starts(times, step_ns).tolist() == [True, False, False, False, True]
    assert stretch_starts(times, None).tolist() == [True, False, False, False, False]
    assert stretch_starts(times[:0], step_ns).tolist() == []


@pytest.mark.parametrize(("threshold", "windows"), [(0.5, 4), (0.5, 0), (1.5, 5), (-0.1, 5), (float("nan"), 5)])
def test_a_detection_rule_refuses_an_even_filter_or_a_threshold_outside_0_to_1(threshold, windows):
    with pytest.raises(ValueError):
        DetectionRule(threshold, windows)
