"""The humpback model in bfloat16: agreement with float32 on MARS-like audio, per-model scoping, failure modes."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.pooling import detect, median_filtered
from whale_assets.core.synthesis.mars_scene import MarsScene, ShipPassage, SongSession, render
from whale_assets.sources import model_precision
from whale_assets.sources.humpback_model import ModelLoadError, load_humpback_model
from whale_assets.sources.model_precision import check_precision, native_bfloat16_flags, resolve_precision

BFLOAT16_TOLERANCE = 2e-3
"""Largest |bfloat16 - float32| score allowed on the stand-in: bfloat16 keeps 8 significant bits
(relative rounding 2**-9) of the band powers; measured 1.4e-4 on `mars_audio` below."""


@pytest.fixture(scope="module")
def mars_audio() -> np.ndarray:
    """Ten minutes of MARS-like 10 kHz audio: song at 6, 10 and 15 dB (0:30-7:40), a ship passage, then none."""
    scene = MarsScene(
        600.0,
        seed=3,
        song=(SongSession(30.0, 90.0, 6.0), SongSession(230.0, 90.0, 10.0), SongSession(400.0, 60.0, 15.0)),
        ships=(ShipPassage(300.0, 240.0, 15.0),),
    )
    return resample_exact(render(scene), scene.sample_rate, 10_000).astype(np.float32)


def test_bfloat16_scores_stay_within_the_tolerance_of_float32_and_detect_the_same_song(
    humpback_savedmodel_dir: Path, mars_audio: np.ndarray
) -> None:
    handle = str(humpback_savedmodel_dir)
    float32 = load_humpback_model(handle).score(mars_audio)
    bfloat16 = load_humpback_model(handle, precision="bfloat16").score(mars_audio)

    assert bfloat16.shape == float32.shape and bfloat16.dtype == np.float32
    assert not np.array_equal(bfloat16, float32)  # the rewrite really ran in bfloat16
    assert np.max(np.abs(bfloat16 - float32)) <= BFLOAT16_TOLERANCE
    song, no_song = detect(float32[30:400]), detect(float32[480:])
    assert song.detected and not no_song.detected  # the comparison below is not vacuous
    np.testing.assert_array_equal(median_filtered(bfloat16, 5) >= 0.5, median_filtered(float32, 5) >= 0.5)


def test_a_float32_model_scores_exactly_as_before_after_a_bfloat16_one_ran_in_the_same_process(
    humpback_savedmodel_dir: Path, mars_audio: np.ndarray
) -> None:
    handle = str(humpback_savedmodel_dir)
    before = load_humpback_model(handle, chunk_windows=8).score(mars_audio)
    bfloat16 = load_humpback_model(handle, chunk_windows=8, precision="bfloat16").score(mars_audio)
    after = load_humpback_model(handle, chunk_windows=8).score(mars_audio)
    again = load_humpback_model(handle, chunk_windows=8, precision="bfloat16").score(mars_audio)

    np.testing.assert_array_equal(after, before)
    np.testing.assert_array_equal(again, bfloat16)


def test_each_precision_is_its_own_cached_model(humpback_savedmodel_dir: Path) -> None:
    handle = str(humpback_savedmodel_dir)
    float32, bfloat16 = load_humpback_model(handle), load_humpback_model(handle, precision="bfloat16")
    assert float32 is load_humpback_model(handle, precision="float32")
    assert bfloat16 is load_humpback_model(handle, precision="bfloat16")
    assert (float32.precision, bfloat16.precision) == ("float32", "bfloat16")
    assert "bfloat16" in repr(bfloat16) and "bfloat16" not in repr(float32)
    assert (float32.name, bfloat16.name) == (handle, f"{handle} [bfloat16]")


def test_an_unknown_precision_is_refused_naming_the_valid_ones(humpback_savedmodel_dir: Path) -> None:
    with pytest.raises(ValueError, match="float32, bfloat16"):
        load_humpback_model(str(humpback_savedmodel_dir), precision="float16")
    with pytest.raises(ValueError, match="'int4'"):
        check_precision("int4")
    assert check_precision("int8") == "int8"


def test_a_tensorflow_without_the_bfloat16_rewrite_fails_the_load_instead_of_scoring_in_float32(
    humpback_savedmodel_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model_precision, "_rewrite_takes_effect", lambda: False)
    with pytest.raises(ModelLoadError, match="WHALE_MODEL_PRECISION=float32"):
        load_humpback_model(str(humpback_savedmodel_dir), chunk_windows=4, precision="bfloat16")


def test_emulated_bfloat16_loads_with_a_warning_that_names_the_missing_cpu_flags(
    humpback_savedmodel_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(model_precision, "native_bfloat16_flags", lambda: ())
    with caplog.at_level(logging.WARNING, logger=model_precision.__name__):
        model = load_humpback_model(str(humpback_savedmodel_dir), chunk_windows=2, precision="bfloat16")
    assert model.precision == "bfloat16"
    assert "avx512_bf16/amx_bf16" in caplog.text and "slower" in caplog.text


def test_native_bfloat16_is_read_from_the_cpu_flags(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu avx512f avx512_vnni\nflags\t\t: fpu avx512f avx512_vnni\n")
    assert native_bfloat16_flags(cpuinfo) == ()
    cpuinfo.write_text("flags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile\n")
    assert native_bfloat16_flags(cpuinfo) == ("avx512_bf16", "amx_bf16")
    assert native_bfloat16_flags(tmp_path / "absent") == ()


def test_auto_resolves_to_bfloat16_only_on_cpu_flags_with_native_bfloat16() -> None:
    assert resolve_precision("auto", cpu_flags=("avx512_bf16",)) == "bfloat16"
    assert resolve_precision("auto", cpu_flags=("amx_bf16",)) == "bfloat16"
    assert resolve_precision("auto", cpu_flags=()) == "float32"
    assert resolve_precision("auto", cpu_flags=("avx512f", "avx512_vnni", "amx_int8")) == "float32"
    # explicit precisions are kept whatever the CPU
    assert resolve_precision("bfloat16", cpu_flags=()) == "bfloat16"
    assert resolve_precision("float32", cpu_flags=("avx512_bf16",)) == "float32"


@pytest.mark.parametrize(("flags", "expected"), [(("avx512_bf16",), "bfloat16"), ((), "float32")])
def test_auto_loads_the_model_in_the_precision_the_cpu_flags_pick(
    humpback_savedmodel_dir: Path, monkeypatch: pytest.MonkeyPatch, flags: tuple[str, ...], expected: str
) -> None:
    monkeypatch.setattr(model_precision, "native_bfloat16_flags", lambda: flags)
    handle = str(humpback_savedmodel_dir)
    auto = load_humpback_model(handle, chunk_windows=3, precision="auto")
    assert auto.precision == expected
    assert auto is load_humpback_model(handle, chunk_windows=3, precision=expected)  # one model, one label
    assert auto.name == (handle if expected == "float32" else f"{handle} [bfloat16]")
