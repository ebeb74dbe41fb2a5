"""The weight-free energy classifier: the model's grid, song scored high, background low."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from whale_assets.core.scoring.classifier import Classifier, WindowGrid
from whale_assets.core.scoring.energy import EnergyClassifier, running_floor_db
from whale_assets.core.synthesis.mars_scene import (
    BaleenCalls,
    Earthquake,
    MarsScene,
    ShipPassage,
    SongSession,
    render,
    song_units,
)

RATE = 10_000
GRID = WindowGrid()


def coloured_noise(n: int, rms: float, seed: int) -> np.ndarray:
    """Red Gaussian noise over a white floor: like deep-water ambient noise, it falls with frequency."""
    white = np.random.default_rng(seed).standard_normal(n, dtype=np.float32)
    noise = signal.lfilter([1.0], [1.0, -0.95], white) + 0.3 * white  # -6 dB/octave above ~80 Hz
    return (noise * (rms / noise.std())).astype(np.float32)


def song_like(duration_s: float, rms: float, rate: int = RATE) -> np.ndarray:
    """Humpback-like units: 1.5 s upsweeps 250 -> 700 Hz with two harmonics, 0.5 s apart."""
    t = np.arange(int(duration_s * rate)) / rate
    phase_t = t % 2.0
    sweep = 250.0 + 300.0 * phase_t  # Hz, rising within each unit
    phase = 2 * np.pi * np.cumsum(sweep) / rate
    tone = np.sin(phase) + 0.5 * np.sin(2 * phase) + 0.25 * np.sin(3 * phase)
    tone[phase_t >= 1.5] = 0.0
    return (tone * (rms / tone.std())).astype(np.float32)


def window_times(n_windows: int) -> tuple[np.ndarray, np.ndarray]:
    start = GRID.window_offsets_s(n_windows)
    return start, start + GRID.context_s


def test_energy_classifier_satisfies_the_classifier_protocol_on_the_model_grid() -> None:
    classifier: Classifier = EnergyClassifier()

    assert classifier.name == "energy"
    assert classifier.grid == WindowGrid()
    assert classifier.grid.context_samples == 39_124 and classifier.grid.step_samples == 9_900


@pytest.mark.parametrize(
    "n",
    [0, 1_023, 39_123, 39_124, 39_124 + 9_899, 39_124 + 9_900, 600_017, 1_234_567],
)
def test_score_count_equals_grid_windows(n: int) -> None:
    scores = EnergyClassifier().score(coloured_noise(n, 1e-3, seed=n) if n else np.zeros(0))

    assert scores.shape == (GRID.n_windows(n),)
    assert scores.dtype == np.float32


def test_half_an_hour_gives_1815_scores_in_range() -> None:
    white = np.random.default_rng(1).standard_normal(RATE * 1_800, dtype=np.float32)

    scores = EnergyClassifier().score(white)

    assert scores.shape == (1_815,)
    assert np.all((scores >= 0.0) & (scores <= 1.0))


def test_input_shorter_than_one_context_gives_empty_float32() -> None:
    scores = EnergyClassifier().score(np.ones(GRID.context_samples - 1, np.float32))

    assert scores.shape == (0,) and scores.dtype == np.float32


def test_song_burst_scores_high_where_it_is_and_low_elsewhere() -> None:
    audio = coloured_noise(RATE * 600, 5e-4, seed=2)
    song_start, song_end = 300.0, 360.0
    audio[int(song_start * RATE) : int(song_end * RATE)] += song_like(song_end - song_start, 1.5e-3)

    scores = EnergyClassifier().score(audio)

    start, end = window_times(len(scores))
    inside = (start >= song_start) & (end <= song_end)
    far = (end < song_start - 5.0) | (start > song_end + 5.0)
    assert np.min(scores[inside]) > 0.9
    assert np.median(scores[far]) < 0.05
    assert np.max(scores[far]) < 0.5
    assert song_start - GRID.context_s <= start[np.argmax(scores)] <= song_end


def test_song_lasting_many_minutes_stays_above_the_floor() -> None:
    audio = coloured_noise(RATE * 1_200, 5e-4, seed=3)
    song_start, song_end = 300.0, 780.0  # 8 minutes of continuous song within a 15 min floor window
    audio[int(song_start * RATE) : int(song_end * RATE)] += song_like(song_end - song_start, 1.5e-3)

    scores = EnergyClassifier().score(audio)

    start, end = window_times(len(scores))
    inside = (start >= song_start) & (end <= song_end)
    assert np.median(scores[inside]) > 0.9
    assert np.median(scores[(end < song_start) | (start > song_end)]) < 0.05


def test_all_zero_input_gives_finite_low_scores() -> None:
    scores = EnergyClassifier().score(np.zeros(RATE * 120, np.float32))

    assert np.all(np.isfinite(scores))
    assert np.all(scores < 0.05)


def test_scores_do_not_depend_on_overall_gain() -> None:
    audio = coloured_noise(RATE * 120, 5e-4, seed=4)
    audio[RATE * 60 : RATE * 80] += song_like(20.0, 1e-3)

    classifier = EnergyClassifier()
    np.testing.assert_allclose(classifier.score(audio * 100.0), classifier.score(audio), atol=1e-5)


def test_scores_are_deterministic_and_independent_of_the_block_size() -> None:
    audio = coloured_noise(RATE * 90, 5e-4, seed=5)
    audio[RATE * 30 : RATE * 45] += song_like(15.0, 1e-3)

    reference = EnergyClassifier().score(audio)
    np.testing.assert_array_equal(EnergyClassifier().score(audio), reference)
    np.testing.assert_allclose(EnergyClassifier(block_windows=3).score(audio), reference, atol=1e-5)


def test_out_of_band_energy_is_ignored() -> None:
    t = np.arange(RATE * 120) / RATE
    audio = coloured_noise(len(t), 5e-4, seed=6)
    audio[RATE * 60 : RATE * 80] += (0.05 * np.sin(2 * np.pi * 3_500.0 * t[: RATE * 20])).astype(np.float32)

    assert np.max(EnergyClassifier().score(audio)) < 0.1


def test_running_floor_follows_a_slow_change_and_ignores_a_short_loud_stretch() -> None:
    level = np.concatenate([np.full(2_000, -60.0), np.full(2_000, -50.0)])
    level[500:560] = -20.0  # one minute of loud windows

    floor = running_floor_db(level, 909, 10.0)

    assert np.allclose(floor[:1_000], -60.0)
    assert np.allclose(floor[3_000:], -50.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lowcut_hz": 2_000.0, "highcut_hz": 100.0},
        {"highcut_hz": 6_000.0},
        {"width_db": 0.0},
        {"floor_percentile": 120.0},
    ],
)
def test_bad_parameters_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        EnergyClassifier(**kwargs)


# Archive-like audio (GUIDE §1): `MarsScene` at the model's 10 kHz, noise RMS 8e-5, DC offset -0.0034.


def _scene(seconds: float, seed: int, **events) -> MarsScene:
    return MarsScene(seconds, seed=seed, sample_rate=RATE, **events)


def _scores_and_times(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    scores = EnergyClassifier().score(audio.astype(np.float32))
    start, end = window_times(len(scores))
    return scores, start, end


def _voiced(scene: MarsScene, start: np.ndarray, end: np.ndarray, min_s: float = 1.0) -> np.ndarray:
    """Windows holding at least `min_s` of song units (a window wholly in a pause holds no song)."""
    sounding = np.zeros(start.size)
    for a, b in song_units(scene):
        sounding += np.clip(np.minimum(end, b) - np.maximum(start, a), 0.0, None)
    return sounding >= min_s


@pytest.mark.parametrize("snr_db", [6.0, 10.0, 15.0])
def test_quiet_song_units_with_gaps_score_high_on_archive_level_noise(snr_db: float) -> None:
    song_start, song_end = 150.0, 270.0
    scene = _scene(420, 11, song=(SongSession(song_start, song_end - song_start, snr_db),))

    scores, start, end = _scores_and_times(render(scene))

    inside = (start >= song_start) & (end <= song_end)
    far = (end < song_start - 5.0) | (start > song_end + 5.0)
    assert np.median(scores[inside]) > 0.9
    assert np.mean(scores[inside & _voiced(scene, start, end)] >= 0.5) > 0.7
    assert np.max(scores[far]) < 0.1


@pytest.mark.parametrize("peak_db", [10.0, 20.0, 30.0])
def test_a_ship_passage_scores_low_however_loud(peak_db: float) -> None:
    audio = render(_scene(480, 12, ships=(ShipPassage(240.0, 480.0, peak_db),)))

    scores, _, _ = _scores_and_times(audio)

    assert np.max(scores) < 0.1


@pytest.mark.parametrize("kind", ["blue", "fin", "earthquake"])
def test_baleen_calls_and_earthquakes_score_low(kind: str) -> None:
    if kind == "earthquake":
        scene = _scene(480, 13, earthquakes=tuple(Earthquake(float(at), 30.0) for at in range(50, 450, 100)))
    else:
        scene = _scene(480, 13, baleen=(BaleenCalls(kind, 0.0, 480.0, 20.0),))

    scores, _, _ = _scores_and_times(render(scene))

    assert np.max(scores) < 0.1


def test_song_under_fin_whale_pulses_is_still_found() -> None:
    scene = _scene(600, 14, baleen=(BaleenCalls("fin", 0.0, 600.0, 10.0),), song=(SongSession(200.0, 120.0, 10.0),))

    scores, start, end = _scores_and_times(render(scene))

    assert np.median(scores[(start >= 200) & (end <= 320)]) > 0.9
    assert np.max(scores[(end < 195) | (start > 325)]) < 0.1


def test_the_dc_offset_changes_no_score() -> None:
    audio = render(_scene(300, 15, dc_offset=0.0, song=(SongSession(100.0, 60.0, 6.0),)))
    classifier = EnergyClassifier()

    without = classifier.score(audio)
    with_offset = classifier.score((audio + np.float32(-0.0034)).astype(np.float32))

    np.testing.assert_allclose(with_offset, without, atol=1e-4)
    assert np.ptp(without) > 0.5  # the comparison is not between constants


def test_running_floor_is_the_low_order_statistic_of_each_centred_neighbourhood() -> None:
    level = np.random.default_rng(9).standard_normal(500)

    floor = running_floor_db(level, 31, 10.0)

    for i in (15, 16, 200, 484):  # full neighbourhoods
        assert floor[i] == np.sort(level[i - 15 : i + 16])[3]
    assert np.all(floor[:15] == np.sort(level[:31])[3])  # shifted inward at the edges
    assert np.all(floor[-15:] == np.sort(level[-31:])[3])
    # Where the input starts does not matter once a window's neighbourhood is inside it.
    np.testing.assert_array_equal(running_floor_db(level[100:], 31, 10.0)[15:], floor[115:])


def test_broadband_noisy_units_like_gurgles_score_high_though_not_tonal() -> None:
    # Real song is full of units that are bursts of band-limited noise (gurgles, grunts, groans):
    # no tonal peak to whiten, but their level comes and goes within a window.
    rng = np.random.default_rng(16)
    noise = render(_scene(300, 16))
    bursts = np.zeros(noise.size)
    sos = signal.butter(4, (150.0, 900.0), "bandpass", fs=RATE, output="sos")
    for first_s in np.arange(100.0, 200.0, 2.5):  # one-second bursts, 1.5 s apart
        first = round(first_s * RATE)
        bursts[first : first + RATE] = signal.sosfilt(sos, rng.standard_normal(RATE)) * np.hanning(RATE)
    noise_band = signal.sosfilt(sos, noise - noise.mean())
    voiced = bursts != 0
    bursts *= np.sqrt(10 ** (6.0 / 10) * np.mean(noise_band[voiced] ** 2) / np.mean(bursts[voiced] ** 2))
    classifier = EnergyClassifier()

    features = classifier.window_features((noise + bursts).astype(np.float32))
    scores, start, end = _scores_and_times((noise + bursts).astype(np.float32))

    inside = (start >= 100.0) & (end <= 200.0)
    assert np.median(features.tonality_db[inside]) < classifier.midpoint_db  # tonality alone would miss them
    assert np.median(scores[inside]) > 0.9
    assert np.max(scores[(end < 95.0) | (start > 205.0)]) < 0.1


def test_stationary_noise_has_the_same_low_modulation_whatever_its_level_or_colour() -> None:
    classifier = EnergyClassifier()
    white = np.random.default_rng(17).standard_normal(RATE * 120).astype(np.float32) * 1e-4
    red = coloured_noise(RATE * 120, 8e-5, seed=18)
    levels = [classifier.window_features(x).modulation_db for x in (white, 100 * white, red)]
    for modulation in levels:
        assert np.max(modulation) < classifier.modulation_midpoint_db - 0.3
    assert np.median(levels[0]) == pytest.approx(np.median(levels[1]), abs=1e-3)
