"""Real MBARI song units in the MARS-like world: recorded offsets kept, the SNR asked, the split fixed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import signal

from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render
from whale_assets.demo.real_song import (
    ALL_RECORDINGS,
    HELD_OUT_RECORDINGS,
    TUNING_RECORDINGS,
    isolated_units,
    load_real_units,
    real_song_audio,
    real_song_scene,
    song_intervals,
    unit_type_family,
    units_dir,
)

SR = 16_000
requires_real_song = pytest.mark.skipif(
    units_dir() is None,
    reason="real song units absent: ../shared/data/mbari-song-units/ (or WHALE_REAL_SONG_UNITS) not found",
)


def test_tuning_and_held_out_recordings_are_disjoint_and_cover_all_seven():
    assert not set(TUNING_RECORDINGS) & set(HELD_OUT_RECORDINGS)
    assert len(set(ALL_RECORDINGS)) == 7


@pytest.mark.parametrize(
    ("label", "family"),
    [("gurgle?", "gurgle"), ("trill_(D)", "trill"), ("grunts", "grunt"), ("groan_+_purr", "groan"), ('"ascending_shriek', "ascending_shriek"),
     ("modulated_moans_(F)", "modulated_moan"), ("descending_moan", "descending_moan")],
)  # fmt: skip
def test_analyst_labels_reduce_to_their_unit_type(label, family):
    assert unit_type_family(label) == family


def test_without_the_units_folder_the_loader_and_the_audio_say_none(tmp_path):
    assert units_dir(tmp_path) is None
    assert load_real_units(TUNING_RECORDINGS, tmp_path) is None
    assert real_song_audio(TUNING_RECORDINGS, 10.0, 60.0, path=tmp_path) is None


@requires_real_song
def test_a_recording_is_replayed_with_its_units_at_their_recorded_offsets():
    units = load_real_units(("HBSe_20151022T015622",))
    assert len(units.units) == 36 and len(units.bouts) == 1
    scene = MarsScene(200.0, seed=1, song=(SongSession(10.0, 180.0),), song_recording=units)
    placed = song_intervals(scene)
    offsets = np.array([offset for _, offset in units.bouts[0].units])  # from the recording's first unit
    assert offsets[0] == 0.0 and offsets[-1] > 100.0
    starts = np.array([u.start_s for u in placed[: offsets.size]])
    np.testing.assert_allclose(starts - starts[0], offsets, atol=1e-9)
    assert {u.recording for u in placed} == {"HBSe_20151022T015622"}
    assert {u.unit_type for u in placed} <= {unit_type_family(t) for t in units.unit_types}


@requires_real_song
def test_sessions_chain_recordings_into_hours():
    scene = real_song_scene(HELD_OUT_RECORDINGS, 10.0, 3600.0, seed=2)
    placed = song_intervals(scene)
    assert {u.recording for u in placed} == set(HELD_OUT_RECORDINGS)
    assert placed[-1].end_s > 3000.0  # recordings of 139-631 s, chained, fill the hour
    assert (
        max(b.start_s - a.end_s for a, b in zip(placed, placed[1:], strict=False)) < 70.0
    )  # no silence longer than a breath


@requires_real_song
@pytest.mark.parametrize("snr_db", [6.0, 10.0])
def test_real_units_have_the_in_band_snr_asked(snr_db):
    scene = real_song_scene(HELD_OUT_RECORDINGS, snr_db, 240.0, seed=3, song_s=(10.0, 230.0))
    intervals = [(u.start_s, u.end_s) for u in song_intervals(scene)]
    sos = signal.butter(8, (100.0, 1500.0), "bandpass", fs=SR, output="sos")
    noise = render(dataclasses.replace(scene, song=())).astype(np.float64)
    calls = render(scene).astype(np.float64) - noise
    mask = np.zeros(noise.size, bool)
    for a, b in intervals:
        mask[round(a * SR) : round(b * SR)] = True
    ratio = np.mean(signal.sosfiltfilt(sos, calls)[mask] ** 2) / np.mean(
        signal.sosfiltfilt(sos, noise - noise.mean())[mask] ** 2
    )
    assert 10 * np.log10(ratio) == pytest.approx(snr_db, abs=1.0)


@requires_real_song
def test_real_song_audio_is_16_khz_archive_like_with_typed_intervals():
    audio, intervals = real_song_audio(TUNING_RECORDINGS, 10.0, 120.0, seed=4, song_s=(30.0, 120.0))
    assert audio.dtype == np.float32 and audio.size == 120 * SR
    assert np.mean(audio) == pytest.approx(-0.0034, abs=1e-5)
    assert intervals and all(30.0 <= u.start_s < u.end_s <= 120.0 for u in intervals)
    assert all(u.recording in TUNING_RECORDINGS and u.unit_type for u in intervals)


@requires_real_song
def test_isolated_units_each_sound_alone_a_few_seconds_apart():
    alone = isolated_units(load_real_units(("HBSe_20151022T015622",)))
    placed = song_intervals(MarsScene(400.0, seed=5, song=(SongSession(0.0, 400.0),), song_recording=alone))
    gaps = np.array([b.start_s - a.end_s for a, b in zip(placed, placed[1:], strict=False)])
    assert len(placed) >= 30 and gaps.min() >= 6.0 and gaps.max() <= 8.0
