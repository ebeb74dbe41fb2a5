"""The MARS-like test world sounds like the archive: DC offset, tiny reddish noise, song at the SNR asked."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import signal

from whale_assets.core.synthesis.mars_scene import (
    BaleenCalls,
    Earthquake,
    MarsScene,
    ShipPassage,
    SongSession,
    baleen_calls,
    load_song_recording,
    render,
    render_pieces,
    song_units,
)
from whale_assets_tests.support.noaa import SONG_WAV, requires_noaa

SR = 16_000


def band(x: np.ndarray, low_hz: float, high_hz: float) -> np.ndarray:
    sos = signal.butter(8, (low_hz, high_hz), "bandpass", fs=SR, output="sos")
    return signal.sosfiltfilt(sos, x.astype(np.float64) - np.mean(x))


def power_in(x: np.ndarray, intervals: list[tuple[float, float]]) -> float:
    mask = np.zeros(x.size, dtype=bool)
    for start, end in intervals:
        mask[round(start * SR) : round(end * SR)] = True
    return float(np.mean(x[mask] ** 2))


def measured_snr_db(scene: MarsScene, low_hz: float, high_hz: float, intervals: list[tuple[float, float]]) -> float:
    """In-band power of the calls alone over in-band power of the noise alone, over the same intervals."""
    quiet = dataclasses.replace(scene, song=(), baleen=())
    noise = render(quiet).astype(np.float64)
    calls = render(scene).astype(np.float64) - noise
    return 10 * np.log10(
        power_in(band(calls, low_hz, high_hz), intervals) / power_in(band(noise, low_hz, high_hz), intervals)
    )


def test_samples_carry_the_archive_dc_offset_and_a_tiny_signal():
    x = render(MarsScene(120.0, seed=4, drift_db=0.0))
    assert x.dtype == np.float32
    assert np.mean(x) == pytest.approx(-0.0034, abs=2e-6)
    assert np.std(x) == pytest.approx(8e-5, rel=0.1)
    assert abs(np.mean(x)) > 30 * np.std(x)


def test_noise_is_reddish_with_most_energy_below_200_hz():
    x = render(MarsScene(120.0, seed=5))
    f, p = signal.welch(x - np.mean(x), SR, nperseg=8192)
    assert p[f < 200].sum() / p.sum() > 0.6
    assert np.median(p[(f > 50) & (f < 100)]) > 10 * np.median(p[(f > 1000) & (f < 2000)])


def test_noise_level_drifts_over_hours():
    scene = MarsScene(8 * 3600.0, seed=6, drift_db=3.0)
    levels = [10 * np.log10(np.var(render(scene, t, t + 20.0))) for t in np.arange(0, 8 * 3600, 3600)]
    assert 1.0 < max(levels) - min(levels) <= 6.5


@pytest.mark.parametrize("snr_db", [6.0, 10.0, 15.0])
def test_song_units_have_the_in_band_snr_asked(snr_db):
    scene = MarsScene(240.0, seed=7, song=(SongSession(10.0, 220.0, snr_db),))
    assert measured_snr_db(scene, 100.0, 1500.0, song_units(scene)) == pytest.approx(snr_db, abs=1.0)


def test_a_piece_renders_equal_to_the_same_slice_of_the_whole():
    scene = MarsScene(
        200.0,
        seed=8,
        song=(SongSession(10.0, 180.0),),
        ships=(ShipPassage(100.0, 150.0, 12.0),),
        baleen=(BaleenCalls("fin", 0.0, 200.0, 10.0),),
        earthquakes=(Earthquake(55.0),),
    )
    whole = render(scene)
    for start, stop in [(0.0, 3.3), (9.99, 10.01), (37.25, 121.5), (150.0, 200.0)]:
        np.testing.assert_allclose(
            render(scene, start, stop), whole[round(start * SR) : round(stop * SR)], atol=1e-9, rtol=0
        )
    np.testing.assert_array_equal(np.concatenate(list(render_pieces(scene, piece_s=33.0))), whole)


def test_same_seed_same_audio_other_seed_other_audio():
    scene = MarsScene(30.0, seed=9, song=(SongSession(0.0, 30.0),))
    np.testing.assert_array_equal(render(scene), render(dataclasses.replace(scene)))
    assert song_units(scene) == song_units(dataclasses.replace(scene))
    assert not np.array_equal(render(scene), render(dataclasses.replace(scene, seed=10)))


def test_units_lie_inside_their_sessions_with_gaps_and_realistic_lengths():
    sessions = (SongSession(30.0, 600.0), SongSession(1000.0, 120.0))
    units = song_units(MarsScene(1200.0, seed=11, song=sessions))
    assert len(units) > 100
    assert all(any(s.start_s <= a < b <= s.start_s + s.duration_s for s in sessions) for a, b in units)
    lengths = np.array([b - a for a, b in units])
    assert lengths.min() >= 0.18 and lengths.max() <= 7.5
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(units, units[1:], strict=False))


def test_phrases_repeat():
    units = song_units(MarsScene(600.0, seed=12, song=(SongSession(0.0, 600.0),)))
    lengths = np.round([b - a for a, b in units], 1)
    # repeated phrases bring back units of (nearly) the same length, in the same order
    pairs = list(zip(lengths, lengths[1:], strict=False))
    assert len(set(pairs)) < 0.8 * len(pairs)


def test_a_passing_ship_rises_and_falls_around_closest_approach():
    peak_db = 15.0
    scene = MarsScene(1200.0, seed=13, drift_db=0.0, ships=(ShipPassage(600.0, 800.0, peak_db),))
    x = render(scene).astype(np.float64)
    level = {
        t: 10 * np.log10(np.var(x[round(t * SR) : round((t + 10) * SR)]) / 8e-5**2) for t in (50, 250, 595, 900, 1150)
    }
    assert level[595] == pytest.approx(peak_db, abs=1.5)
    assert level[50] < 1.0 and level[1150] < 1.0
    assert level[50] < level[250] < level[595] > level[900] > level[1150]


@pytest.mark.parametrize("kind, low_hz, high_hz", [("blue", 10.0, 110.0), ("fin", 12.0, 35.0)])
def test_baleen_calls_sit_low_at_the_snr_asked(kind, low_hz, high_hz):
    scene = MarsScene(600.0, seed=14, baleen=(BaleenCalls(kind, 0.0, 600.0, 10.0),))
    calls = [(a, b) for _, a, b in baleen_calls(scene)]
    assert len(calls) >= (4 if kind == "blue" else 15)
    assert measured_snr_db(scene, low_hz, high_hz, calls) == pytest.approx(10.0, abs=1.0)
    quiet = render(dataclasses.replace(scene, baleen=())).astype(np.float64)
    added = render(scene) - quiet
    assert power_in(band(added, 100.0, 1500.0), calls) < 0.01 * power_in(band(added, low_hz, high_hz), calls)


def test_an_earthquake_is_a_short_loud_burst():
    scene = MarsScene(60.0, seed=15, drift_db=0.0, earthquakes=(Earthquake(30.0, peak_db=20.0, duration_s=6.0),))
    x = render(scene).astype(np.float64)
    x -= x.mean()
    before, onset, after = np.var(x[: 29 * SR]), np.var(x[round(30.2 * SR) : round(30.8 * SR)]), np.var(x[37 * SR :])
    assert 14.0 < 10 * np.log10(onset / before) < 21.0  # the envelope peaks at 20 dB, then decays
    assert after == pytest.approx(before, rel=0.2)


@requires_noaa
def test_real_song_units_voice_a_session_at_the_snr_asked():
    recording = load_song_recording(SONG_WAV)
    assert recording.sample_rate == SR
    assert recording.samples.size == pytest.approx(75 * SR, rel=0.01)
    assert abs(np.mean(recording.samples)) < 1e-9
    assert len(recording.units) >= 10
    assert all(0.2 * SR <= b - a <= 7 * SR for a, b in recording.units)
    scene = MarsScene(300.0, seed=16, song=(SongSession(10.0, 280.0, 10.0),), song_recording=recording)
    assert measured_snr_db(scene, 100.0, 1500.0, song_units(scene)) == pytest.approx(10.0, abs=1.0)
