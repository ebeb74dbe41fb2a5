"""The adaptive noise floor and the hysteresis rule behind the default sift."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from whale_assets.core.audio.noise_floor import hysteresis_events, running_floor_db


def test_floor_of_input_shorter_than_the_window_is_its_percentile() -> None:
    levels = np.random.default_rng(1).normal(-80.0, 2.0, 500).astype(np.float32)

    floor = running_floor_db(levels, window_frames=1_000, percentile=20.0)

    np.testing.assert_allclose(floor, np.percentile(levels, 20.0), rtol=1e-6)


def test_coarse_floor_stays_within_half_a_db_of_an_exact_running_percentile() -> None:
    rng = np.random.default_rng(2)
    n, window = 60_000, 5_625  # half an hour of 512-sample frames, a 3-minute window
    drift = 6.0 * np.sin(np.linspace(0, 3 * np.pi, n))  # slow level changes, like noise and ships
    levels = (-82.0 + drift + rng.normal(0.0, 2.0, n)).astype(np.float32)

    floor = running_floor_db(levels, window, 20.0)

    exact = ndimage.percentile_filter(levels, 20.0, size=window, mode="nearest")
    inner = slice(window, n - window)  # the exact filter's edge handling differs from ours
    assert np.max(np.abs(floor[inner] - exact[inner])) < 0.5


def test_floor_follows_a_step_in_level_within_a_window() -> None:
    levels = np.concatenate([np.full(10_000, -85.0), np.full(10_000, -75.0)]).astype(np.float32)

    floor = running_floor_db(levels, 2_000, 20.0)

    assert np.allclose(floor[:8_900], -85.0) and np.allclose(floor[11_100:], -75.0)


def test_event_spans_the_frames_above_the_end_level_around_a_start_crossing() -> None:
    excess = np.array([0, 2, 4, 7, 5, 4, 2, 0, 4, 5, 4, 0, 8, 0], dtype=np.float32)

    starts, ends = hysteresis_events(excess, start_db=6.0, end_db=3.0)

    # frames 2-5 (reaching 7 at frame 3) and frame 12; frames 8-10 never reach 6 dB
    assert starts.tolist() == [2, 12] and ends.tolist() == [6, 13]


def test_no_frames_above_the_end_level_give_no_events() -> None:
    starts, ends = hysteresis_events(np.zeros(100, np.float32), 6.0, 3.0)

    assert starts.size == 0 and ends.size == 0
