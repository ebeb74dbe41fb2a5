"""WHALE_MODEL_PRECISION=int8: a calibrated LiteRT conversion, cached, agreeing with float32 on the trained stand-in."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.pooling import detect, median_filtered
from whale_assets.sources import int8_model, model_precision
from whale_assets.sources.humpback_model import ModelLoadError, clear_model_cache, load_humpback_model
from whale_assets.sources.model_precision import precision_label, resolve_precision
from whale_assets_tests.support.trained_savedmodel import scene_audio, song_labels, training_scene

pytest.importorskip("ai_edge_litert", reason="the int8 runtime (whale_assets[int8]) is not installed")

INT8_TOLERANCE = 0.2
"""Largest |int8 - float32| score allowed on the small trained stand-in's held-out scene. int8
activations keep 256 levels per tensor, and the stand-in's logits are steep (most scores are
within 0.05 of 0 or 1), so a window near the threshold can move by ~0.1: measured max 0.13,
median 0.002 (recipe cal2). Decisions are what must hold: see the median-filtered crossings and `detect()`."""
HELD_OUT_SEED = 31  # the small stand-in was trained on seeds 11 and 12


@pytest.fixture(scope="module")
def int8_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Converted models go to a temporary cache (never the user's), shared by this module's tests."""
    cache = tmp_path_factory.mktemp("xdg_cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        yield cache / "whale_assets" / "int8"


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    scene = training_scene(HELD_OUT_SEED)
    audio = scene_audio(scene)
    return audio, song_labels(scene, WindowGrid.for_step(10_000).n_windows(audio.size))


def test_int8_scores_agree_with_float32_within_the_tolerance_and_keep_the_song_decisions(
    trained_savedmodel_dir: Path, int8_cache: Path, held_out: tuple[np.ndarray, np.ndarray]
) -> None:
    audio, labels = held_out
    handle = str(trained_savedmodel_dir)
    float32 = load_humpback_model(handle).score(audio)
    int8 = load_humpback_model(handle, precision="int8").score(audio)

    assert int8.shape == float32.shape and int8.dtype == np.float32
    difference = np.abs(int8.astype(np.float64) - float32)
    assert difference.max() > 1e-3  # really int8, not a float copy
    assert difference.max() <= INT8_TOLERANCE
    crossings = [median_filtered(s, 5) >= 0.5 for s in (float32, int8)]
    assert crossings[0].any() and not crossings[0].all()  # the comparison below is not vacuous
    assert np.mean(crossings[0] != crossings[1]) <= 0.05
    # training_scene(180 s): song 10-50 s, then a ship, an earthquake and baleen calls until song at 120 s
    for part in (slice(0, 50), slice(52, 112)):
        assert detect(int8[part]).detected == detect(float32[part]).detected
    assert np.mean(int8[labels == 1] >= 0.5) > 0.8 and np.mean(int8[labels == 0] >= 0.5) < 0.1


def test_the_conversion_is_cached_outside_the_model_and_reused_by_the_next_process(
    trained_savedmodel_dir: Path, int8_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    handle = str(trained_savedmodel_dir)
    first = load_humpback_model(handle, precision="int8")  # the batch shape the agreement test converted
    entry = first.cache_entry
    assert entry.parent == int8_cache and (entry / "model.tflite").is_file()
    assert not any(p.suffix == ".tflite" for p in trained_savedmodel_dir.rglob("*"))  # the model dir is untouched

    clear_model_cache()  # as a new process would: only the file cache is left

    def no_conversion(*args: object) -> None:
        raise AssertionError("converted again although the cache holds the model")

    monkeypatch.setattr(int8_model, "convert_to_int8", no_conversion)
    again = load_humpback_model(handle, precision="int8")
    assert again is not first and again.cache_entry == entry
    audio = np.random.default_rng(0).standard_normal(60_000).astype(np.float32) * 1e-3
    np.testing.assert_array_equal(again.score(audio), first.score(audio))


def test_the_cache_key_follows_the_model_files(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(b"graph")
    (model / "variables" / "variables.data-00000-of-00001").write_bytes(b"weights")
    before = int8_model.model_files_digest(model)
    (model / "variables" / "variables.data-00000-of-00001").write_bytes(b"retrained")
    assert int8_model.model_files_digest(model) != before


def test_int8_is_its_own_label_naming_the_recipe_and_auto_never_picks_it() -> None:
    labels = {p: precision_label("/models/humpback", p) for p in ("float32", "bfloat16", "int8")}
    assert labels["float32"] == "/models/humpback"
    assert labels["int8"] == f"/models/humpback [int8 {model_precision.INT8_RECIPE}]"
    assert len(set(labels.values())) == 3
    for flags in ((), ("avx512_vnni",), ("avx512_vnni", "amx_int8", "avx_vnni"), ("avx512_bf16", "avx512_vnni")):
        assert resolve_precision("auto", cpu_flags=flags) != "int8"
    assert resolve_precision("int8", cpu_flags=()) == "int8"  # explicit: kept whatever the CPU


def test_a_missing_int8_runtime_fails_the_load_naming_what_to_install(
    trained_savedmodel_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ai_edge_litert", None)  # `import` raises ImportError
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(ModelLoadError, match=r"whale_assets\[int8\].*ai-edge-litert"):
        load_humpback_model(str(trained_savedmodel_dir), chunk_windows=5, precision="int8")


def test_int8_on_a_cpu_without_vnni_loads_with_a_warning(
    trained_savedmodel_dir: Path, int8_cache: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(model_precision, "int8_dot_product_flags", lambda: ())
    clear_model_cache()  # load again (from the file cache) so the check runs
    with caplog.at_level("WARNING", logger=model_precision.__name__):
        model = load_humpback_model(str(trained_savedmodel_dir), precision="int8")
    assert model.precision == "int8" and "avx512_vnni" in caplog.text


def test_vnni_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu avx512f avx512_bf16\n")
    assert model_precision.int8_dot_product_flags(cpuinfo) == ()
    cpuinfo.write_text("flags\t\t: fpu avx512f avx512_vnni amx_int8\n")
    assert model_precision.int8_dot_product_flags(cpuinfo) == ("avx512_vnni", "amx_int8")


def test_a_gross_logit_bias_of_int8_is_corrected_and_a_small_disagreement_left_alone() -> None:
    rng = np.random.default_rng(0)
    float_logits = rng.normal(0, 4, 400)
    sigmoid = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    biased = float_logits + 9 + rng.normal(0, 0.5, 400)  # int8 on the trained real-size stand-in: ~+9
    offset = int8_model.logit_offset(sigmoid(biased), sigmoid(float_logits))
    assert 7 < offset < 11
    assert np.mean((biased - offset >= 0) != (float_logits >= 0)) < 0.05
    noisy = float_logits + rng.normal(0, 0.3, 400)  # a few windows near 0.5 differ: no shift fitted to noise
    assert int8_model.logit_offset(sigmoid(noisy), sigmoid(float_logits)) == 0.0
