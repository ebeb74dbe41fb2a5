"""A whole day of MARS-like audio through `score_day` and `hourly_presence` with the energy classifier.

Each day is one 24-hour `MarsScene` (DC offset -0.0034, reddish drifting noise at RMS 8e-5,
ships, blue and fin whales, earthquakes) recorded sparsely: three minutes in every hour, digital
silence (a gap) elsewhere, so a day costs ~1.2 hours of audio. Chunk-boundary tests: scores of
a day scored chunk by chunk equal one call over the whole resampled signal, DC offset included.
"""

from __future__ import annotations

import numpy as np

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.day_chunks import plan_day_chunks
from whale_assets.core.scoring.day_scoring import neighbourhood_windows, score_day
from whale_assets.core.scoring.energy import EnergyClassifier
from whale_assets.core.synthesis.mars_scene import BaleenCalls, Earthquake, MarsScene, ShipPassage, SongSession, render
from whale_assets.demo.sparse_day import SparseDay, present_hours, score_sparse_day
from whale_assets.demo.sparse_day import at as _at

RATE = 16_000

# Everything but song, placed so that every event falls in a recorded stretch (minutes 20-23).
SHIPS = tuple(
    ShipPassage(_at(h, 1320.0), duration, peak)
    for h, duration, peak in [
        (1, 1800.0, 12.0),
        (5, 1200.0, 20.0),
        (8, 2400.0, 25.0),
        (13, 900.0, 15.0),
        (17, 1800.0, 30.0),
        (22, 3600.0, 18.0),
    ]
)
LONG_SHIP = ShipPassage(_at(15, 1800.0), 5400.0, 15.0)  # an hour and a half
BALEEN = tuple(BaleenCalls("blue", _at(h, 0.0), 3600.0, 15.0) for h in (2, 6, 11, 19)) + tuple(
    BaleenCalls("fin", _at(h, 0.0), 3600.0, 15.0) for h in (4, 10, 16, 23)
)
QUAKES = tuple(Earthquake(_at(h, 1300.0), 25.0) for h in (7, 14, 20))
SONG = (
    SongSession(_at(3, 1210.0), 200.0, 8.0),  # a bout of a few minutes, 03:20:10
    SongSession(_at(10, 1230.0), 150.0, 10.0),  # a bout under fin-whale pulses, 10:20:30
    SongSession(_at(20, 0.0), 7200.0, 10.0),  # a two-hour session, 20:00-22:00
)


def sparse_day(song: tuple[SongSession, ...]) -> SparseDay:
    return SparseDay(
        MarsScene(
            86_400.0, seed=7, ships=(*SHIPS, LONG_SHIP), baleen=BALEEN, earthquakes=QUAKES, song=song, sample_rate=RATE
        )
    )


SONG_HOURS = [3, 10, 20, 21]


def present(with_song: bool) -> list[int]:
    presence = score_sparse_day(sparse_day(SONG if with_song else ()), EnergyClassifier())
    assert (presence["n_scores"] > 150).all()  # every hour was recorded and scored
    return present_hours(presence)


def test_a_day_of_ships_baleen_whales_and_earthquakes_has_no_hour_with_song() -> None:
    assert present(with_song=False) == []


def test_a_song_session_and_two_short_bouts_are_present_in_exactly_their_hours() -> None:
    assert sparse_day(SONG).song_hours() == SONG_HOURS
    assert present(with_song=True) == SONG_HOURS


def test_chunked_energy_scores_equal_one_call_on_archive_like_audio_with_its_dc_offset() -> None:
    audio = render(
        MarsScene(
            1500.0,
            seed=3,
            song=(SongSession(400.0, 400.0, 8.0),),
            ships=(ShipPassage(1000.0, 600.0, 20.0),),
            baleen=(BaleenCalls("blue", 1100.0, 400.0, 15.0),),
            sample_rate=RATE,
        )
    )
    classifier = EnergyClassifier()
    whole = classifier.score(resample_exact(audio, RATE, classifier.grid.sample_rate))
    # Ten-minute chunks (the default) and odd 170 s ones, neither on a window boundary.
    for chunk_s in (600.0, 170.0):
        plan = plan_day_chunks(
            audio.size, classifier.grid, RATE, chunk_s, margin_windows=neighbourhood_windows(classifier)
        )
        assert plan.n_windows == whole.size and len(plan.chunks) >= 3
        day = score_day(plan, classifier, lambda c: audio[c.read_start : c.read_stop], prefetch=False)
        np.testing.assert_allclose(day.scores, whole, rtol=0, atol=1e-5)
    assert np.ptp(whole) > 0.9  # song scores high, the rest low: the comparison is not between constants


def test_chunked_stand_in_model_scores_equal_one_call_on_archive_like_audio(humpback_savedmodel_dir) -> None:
    from whale_assets.sources.humpback_model import load_humpback_model

    model = load_humpback_model(str(humpback_savedmodel_dir))
    audio = render(MarsScene(600.0, seed=4, song=(SongSession(200.0, 200.0, 10.0),), sample_rate=RATE))
    whole = model.score(resample_exact(audio, RATE, WindowGrid().sample_rate))
    plan = plan_day_chunks(audio.size, model.grid, RATE, chunk_s=170.0)
    day = score_day(plan, model, lambda c: audio[c.read_start : c.read_stop], prefetch=False)
    np.testing.assert_allclose(day.scores, whole, rtol=0, atol=1e-5)
    assert np.ptp(whole) > 0.9
