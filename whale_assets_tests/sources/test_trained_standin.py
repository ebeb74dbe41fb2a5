"""The small trained stand-in: scores that spread over 0-1 and separate song from noise, so that
float32 / bfloat16 agreement on it says something (unlike the near-constant random-weight model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.pooling import detect, median_filtered
from whale_assets.sources.humpback_model import load_humpback_model
from whale_assets_tests.support.trained_savedmodel import scene_audio, song_labels, training_scene

HELD_OUT_SEED = 31  # training used seeds 11 and 12


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    scene = training_scene(HELD_OUT_SEED)
    audio = scene_audio(scene)
    return audio, song_labels(scene, WindowGrid.for_step(10_000).n_windows(audio.size))


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    song, noise = scores[labels == 1], scores[labels == 0]
    return float(mannwhitneyu(song, noise).statistic / (song.size * noise.size))


def test_the_trained_standin_spreads_its_scores_and_separates_song_from_noise_on_a_held_out_scene(
    trained_savedmodel_dir: Path, held_out: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, labels = held_out
    scores = load_humpback_model(str(trained_savedmodel_dir)).score(audio)
    assert scores.shape == labels.shape
    assert np.quantile(scores, 0.1) < 0.2 and np.quantile(scores, 0.9) > 0.8  # not the 0.501-0.504 of random weights
    assert _auc(scores, labels) > 0.95
    assert np.mean(scores[labels == 0] >= 0.5) < 0.1 and np.mean(scores[labels == 1] >= 0.5) > 0.8


def test_bfloat16_moves_the_trained_standins_scores_but_not_its_song_decisions(
    trained_savedmodel_dir: Path, held_out: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, labels = held_out
    handle = str(trained_savedmodel_dir)
    float32 = load_humpback_model(handle).score(audio)
    bfloat16 = load_humpback_model(handle, precision="bfloat16").score(audio)

    difference = np.abs(bfloat16.astype(np.float64) - float32)
    assert difference.max() > 1e-4  # the rewrite ran: scores really moved
    assert np.quantile(difference, 0.999) < 0.05
    crossings = [median_filtered(s, 5) >= 0.5 for s in (float32, bfloat16)]
    assert crossings[0].any() and not crossings[0].all()  # the comparison below is not vacuous
    assert np.mean(crossings[0] != crossings[1]) <= 0.01
    # training_scene(180 s): song 10-50 s, then a ship, an earthquake and baleen calls until song at 120 s
    song, no_song = slice(0, 50), slice(52, 112)
    assert detect(float32[song]).detected and not detect(float32[no_song]).detected
    for part in (song, no_song):
        assert detect(bfloat16[part]).detected == detect(float32[part]).detected
