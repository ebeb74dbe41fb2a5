"""Served scores equal in-process scores window for window, over gRPC and REST."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render
from whale_assets.sources.humpback_model import load_humpback_model
from whale_assets.sources.model_server import ServedModelSpec, load_served_model, parse_server

RATE = 10_000
GRID = WindowGrid.for_step(10_000)


def mars_song(seconds: float, seed: int) -> np.ndarray:
    """MARS-level audio (DC offset, reddish noise ~8e-5 RMS) with a bout of song in the middle."""
    scene = MarsScene(seconds, seed=seed, song=(SongSession(seconds * 0.3, seconds * 0.4, 10.0),), sample_rate=RATE)
    return render(scene)


def served(url: str, **options):
    return load_served_model(ServedModelSpec(parse_server(url)), **options)


@pytest.mark.parametrize(
    ("n_samples", "chunk_windows", "max_request_samples"),
    [
        (GRID.samples_for_windows(1), 16, 800_000),  # exactly one context
        (GRID.samples_for_windows(16) + 9_899, 16, 800_000),  # one full chunk and nothing more
        (150 * RATE + 4_321, 16, 800_000),  # 148 windows: 2 requests of 4 chunks, 1 of 1, a ragged tail of 4
        (GRID.samples_for_windows(50) + 5_000, 7, 2 * GRID.samples_for_windows(7)),  # small chunks, many requests
    ],
)
def test_served_scores_equal_in_process_scores_window_for_window(
    server_url: str, humpback_savedmodel_dir: Path, n_samples: int, chunk_windows: int, max_request_samples: int
) -> None:
    audio = mars_song(n_samples / RATE + 1, seed=n_samples % 97)[:n_samples]
    model = served(server_url, chunk_windows=chunk_windows, max_request_samples=max_request_samples)
    local = load_humpback_model(str(humpback_savedmodel_dir))

    scores, expected = model.score(audio), local.score(audio)

    assert model.grid == local.grid == GRID  # same windows at the same times, from the served metadata
    assert scores.dtype == np.float32 and scores.shape == expected.shape == (GRID.n_windows(n_samples),)
    np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-7)
    if scores.size > 40:
        assert np.ptp(expected) > 0.5  # song and background: the comparison is not between constants


def test_short_input_gives_no_scores_and_no_request(grpc_url: str, faults) -> None:
    model = served(grpc_url)
    before = faults.requests["score"]
    assert model.score(np.full(GRID.context_samples - 1, -0.0034, np.float32)).shape == (0,)
    assert faults.requests["score"] == before


def test_the_label_names_server_model_and_the_version_the_server_reports(server_url: str) -> None:
    model = served(server_url)
    assert model.name == model.label == f"{server_url}/models/humpback_whale/versions/1"
    assert model.version == 1 and model.class_names == ("Mn",)


def test_a_pinned_version_is_requested_and_kept_in_the_label(server_url: str) -> None:
    model = load_served_model(ServedModelSpec(parse_server(server_url), version=1))
    assert model.label.endswith("/models/humpback_whale/versions/1")
