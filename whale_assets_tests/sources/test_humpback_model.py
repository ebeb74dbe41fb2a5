"""The humpback model path, exercised on a stand-in SavedModel with the real signatures and timing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.synthesis.mars_scene import BaleenCalls, Earthquake, MarsScene, ShipPassage, SongSession, render
from whale_assets.sources.humpback_model import (
    HumpbackModel,
    ModelLoadError,
    grid_from_metadata,
    load_humpback_model,
)

RATE = 10_000


@pytest.fixture(scope="module")
def model(humpback_savedmodel_dir: Path) -> HumpbackModel:
    return load_humpback_model(str(humpback_savedmodel_dir))


def _noise(seconds: float, sigma: float = 0.001, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * RATE)) * sigma).astype(np.float32)


def test_stand_in_loads_through_tensorflow_hub_load(humpback_savedmodel_dir: Path) -> None:
    import tensorflow_hub as hub

    module = hub.load(str(humpback_savedmodel_dir))
    assert {"score", "metadata"} <= set(module.signatures)
    meta = module.signatures["metadata"]()
    assert int(meta["input_sample_rate"]) == 10_000
    assert int(meta["context_width_samples"]) == 39_124
    assert list(meta["class_names"].numpy()) == [b"Mn"]


def test_metadata_gives_the_grid_with_its_true_099_s_step(model: HumpbackModel, humpback_savedmodel_dir: Path) -> None:
    assert model.name == str(humpback_savedmodel_dir)
    assert model.class_names == ("Mn",)
    assert model.grid == WindowGrid.for_step(10_000)
    assert model.grid.sample_rate == 10_000
    assert model.grid.context_samples == 39_124
    assert model.grid.step_samples == 9_900
    assert model.grid.step_s == pytest.approx(0.99)


@pytest.mark.parametrize(
    "n_samples, expected",
    [
        (0, 0),
        (1_000, 0),
        (39_123, 0),  # one sample short of a context
        (39_124, 1),  # exactly one context
        (39_124 + 9_899, 1),
        (39_124 + 9_900, 2),
        (600_000, 57),
        (1_800 * RATE, 1_815),  # half an hour: 1 815 windows, not 1 800
    ],
)
def test_score_count_equals_the_grid_window_count(model: HumpbackModel, n_samples: int, expected: int) -> None:
    scores = model.score(np.zeros(n_samples, dtype=np.float32))
    assert model.grid.n_windows(n_samples) == expected
    assert scores.shape == (expected,)
    assert scores.dtype == np.float32


def test_chunked_scores_equal_one_call_window_for_window(
    humpback_savedmodel_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorflow as tf

    grid = WindowGrid.for_step(10_000)
    # A tone whose level switches every 1.7 s makes windows differ, so any shift or drop shows.
    n = grid.samples_for_windows(50) + 5_000
    t = np.arange(n) / RATE
    level = np.array([0.0, 0.002, 0.004, 0.008, 0.03])[(np.floor(t / 1.7) % 5).astype(int)]
    waveform = (_noise(n / RATE) + level * np.sin(2 * np.pi * 300.0 * t)).astype(np.float32)

    small = load_humpback_model(
        str(humpback_savedmodel_dir), chunk_windows=7, max_batch_samples=2 * grid.samples_for_windows(7)
    )
    calls: list[tuple[int, ...]] = []
    score_fn = small._score_fn

    def spy(**kwargs):
        calls.append(tuple(kwargs["waveform"].shape))
        return score_fn(**kwargs)

    monkeypatch.setattr(small, "_score_fn", spy)
    chunked = small.score(waveform)

    whole = score_fn(
        waveform=tf.constant(waveform[np.newaxis, :, np.newaxis]),
        context_step_samples=tf.constant(10_000, tf.int64),
    )["scores"].numpy()[0, :, 0]
    assert whole.shape == (50,)
    # 50 windows = 7 full chunks (4 calls of <= 2 rows) + a ragged chunk of 1 window.
    assert calls == [(2, 98_524, 1)] * 3 + [(1, 98_524, 1), (1, 39_124, 1)]
    np.testing.assert_allclose(chunked, whole, rtol=1e-6, atol=1e-7)
    assert np.ptp(whole) > 0.1  # the comparison is not between constants


def test_tonal_burst_scores_highest_at_the_windows_covering_it(model: HumpbackModel) -> None:
    waveform = _noise(90.0)
    burst_start, burst_end = 40.0, 41.0
    t = np.arange(int(burst_start * RATE), int(burst_end * RATE))
    waveform[t] += (0.1 * np.sin(2 * np.pi * 400.0 * t / RATE)).astype(np.float32)

    scores = model.score(waveform)
    starts = model.grid.window_offsets_s(scores.size)
    ends = starts + model.grid.context_s
    covering = (starts <= burst_start) & (ends >= burst_end)
    touching = (starts < burst_end) & (ends > burst_start)

    assert covering.sum() == 3  # windows 38, 39, 40 (0.99 s apart) hold the whole burst
    assert covering[np.argmax(scores)]
    assert scores[covering].min() > 0.9
    assert scores[~touching].max() < 0.1


def test_importing_the_module_does_not_import_tensorflow() -> None:
    code = (
        "import sys, whale_assets.sources.humpback_model\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'tensorflow_hub', 'tf_keras'))\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_loading_twice_returns_the_cached_model(model: HumpbackModel, humpback_savedmodel_dir: Path) -> None:
    assert load_humpback_model(str(humpback_savedmodel_dir)) is model


@pytest.mark.parametrize("bad", ["missing", "empty", "unreachable"])
def test_bad_handle_gives_a_clear_error_naming_it_and_whale_model(tmp_path: Path, bad: str) -> None:
    (tmp_path / "empty").mkdir()
    handle = {
        "missing": str(tmp_path / "no_such_model"),
        "empty": str(tmp_path / "empty"),
        "unreachable": "http://127.0.0.1:9/google/humpback_whale/1",  # discard port: refused at once
    }[bad]
    with pytest.raises(ModelLoadError) as error:
        load_humpback_model(handle)
    assert handle in str(error.value)
    assert "WHALE_MODEL" in str(error.value)


def test_metadata_with_another_context_width_is_rejected_naming_the_handle() -> None:
    meta = {"input_sample_rate": 10_000, "context_width_samples": 40_000, "class_names": [b"Mn"]}
    with pytest.raises(ModelLoadError, match="some/handle.*context_width_samples=40000"):
        grid_from_metadata(meta, "some/handle", 10_000)


# Level robustness, on archive-like audio (GUIDE §1): noise RMS 8e-5 with a DC offset of -0.0034.


def _windows_within(model: HumpbackModel, n_scores: int, start_s: float, end_s: float) -> np.ndarray:
    starts = model.grid.window_offsets_s(n_scores)
    return (starts >= start_s) & (starts + model.grid.context_s <= end_s)


def test_quiet_song_at_archive_level_scores_high_and_its_background_low(model: HumpbackModel) -> None:
    audio = render(MarsScene(240, seed=21, song=(SongSession(80.0, 90.0, 10.0),), sample_rate=RATE))

    scores = model.score(audio)

    song = _windows_within(model, scores.size, 80, 170)
    background = _windows_within(model, scores.size, 0, 78) | _windows_within(model, scores.size, 172, 240)
    assert np.median(scores[song]) > 0.9
    assert np.max(scores[background]) < 0.1


def test_scores_do_not_depend_on_level(model: HumpbackModel) -> None:
    audio = render(MarsScene(120, seed=22, dc_offset=0.0, song=(SongSession(40.0, 40.0, 6.0),), sample_rate=RATE))

    quiet = model.score(audio)
    loud = model.score((audio * 300.0).astype(np.float32))

    np.testing.assert_allclose(loud, quiet, atol=1e-3)
    assert np.ptp(quiet) > 0.5  # the comparison is not between constants


def test_ships_baleen_whales_and_earthquakes_score_low(model: HumpbackModel) -> None:
    scene = MarsScene(
        300,
        seed=23,
        ships=(ShipPassage(150.0, 300.0, 25.0),),
        baleen=(BaleenCalls("blue", 0.0, 300.0, 20.0), BaleenCalls("fin", 0.0, 300.0, 20.0)),
        earthquakes=tuple(Earthquake(at + 45.0, 30.0) for at in range(10, 280, 60)),
        sample_rate=RATE,
    )

    scores = model.score(render(scene))

    assert np.max(scores) < 0.1
