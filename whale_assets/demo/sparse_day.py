"""A 24-hour MARS-like scene recorded sparsely (a few minutes every hour, digital silence between),
scored the way `daily_scores` does, so whole-day behaviour costs ~1.2 hours of audio.

Shared by the day-presence tests and `bench/energy_false_positives.py`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from whale_assets.core.scoring.classifier import Classifier
from whale_assets.core.scoring.day_chunks import DayChunk, plan_day_chunks
from whale_assets.core.scoring.day_scoring import neighbourhood_windows, score_day
from whale_assets.core.synthesis.mars_scene import (
    BaleenCalls,
    Earthquake,
    MarsScene,
    ShipPassage,
    SongRecording,
    SongSession,
    render,
    song_units,
)
from whale_assets.core.synthesis.mars_sources import BaleenKind
from whale_assets.core.tables.hourly_presence import hourly_presence
from whale_assets.core.utc import Day

DAY_S = 86_400.0
RECORDED_S = (1200.0, 1380.0)
"""Minutes 20-23 of every hour hold audio by default; the rest of the day is digital silence."""


def at(hour: int, second_of_hour: float) -> float:
    """Seconds from midnight of `second_of_hour` in `hour`."""
    return hour * 3600.0 + second_of_hour


@dataclass(frozen=True)
class SparseDay:
    """A day-long `scene` of which only [recorded_s) of every hour is recorded."""

    scene: MarsScene
    recorded_s: tuple[float, float] = RECORDED_S

    def recorded(self, hour: int) -> np.ndarray:
        first_s, stop_s = at(hour, self.recorded_s[0]), at(hour, self.recorded_s[1])
        scene = self.scene
        if not any(a < stop_s and first_s < b for a, b in song_units(scene)):
            # A scene renders each block from its seed and position alone, so a stretch without
            # song sounds the same with or without the sessions: render (and cache) it once.
            scene = replace(scene, song=(), song_recording=None)
        return _render_cached(scene, first_s, stop_s)

    def read(self, chunk: DayChunk) -> np.ndarray:
        """Archive samples [read_start, read_stop): the recorded stretches, zeros between them."""
        rate = self.scene.sample_rate
        out = np.zeros(chunk.n_read, np.float32)
        for hour in range(24):
            first, stop = (round(at(hour, s) * rate) for s in self.recorded_s)
            a, b = max(first, chunk.read_start), min(stop, chunk.read_stop)
            if a < b:
                out[a - chunk.read_start : b - chunk.read_start] = self.recorded(hour)[a - first : b - first]
        return out

    def ship_hours(self) -> list[int]:
        """Hours whose recorded stretch overlaps a ship passage (song there is masked or vetoed)."""
        return sorted(
            {
                hour
                for hour in range(24)
                for ship in self.scene.ships
                if ship.closest_s - ship.duration_s / 2 < at(hour, self.recorded_s[1])
                and at(hour, self.recorded_s[0]) < ship.closest_s + ship.duration_s / 2
            }
        )

    def song_seconds(self, hour: int, bridge_s: float = 10.0) -> float:
        """Recorded seconds of `hour` during singing: units joined across gaps shorter than `bridge_s`."""
        first, stop = at(hour, self.recorded_s[0]), at(hour, self.recorded_s[1])
        total, run = 0.0, None
        for a, b in song_units(self.scene):
            if run is not None and a - run[1] < bridge_s:
                run[1] = max(run[1], b)
                continue
            if run is not None:
                total += max(0.0, min(run[1], stop) - max(run[0], first))
            run = [a, b]
        if run is not None:
            total += max(0.0, min(run[1], stop) - max(run[0], first))
        return total

    def song_hours(self) -> list[int]:
        """Hours whose recorded stretch holds any song (the ground truth for `hourly_presence`)."""
        return [
            hour
            for hour in range(24)
            if any(
                a < at(hour, self.recorded_s[1]) and at(hour, self.recorded_s[0]) < b for a, b in song_units(self.scene)
            )
        ]


@lru_cache(maxsize=32)
def _render_cached(scene: MarsScene, first_s: float, stop_s: float) -> np.ndarray:
    return render(scene, first_s, stop_s)


def score_sparse_day(day: SparseDay, classifier: Classifier, date: dt.date = dt.date(2016, 12, 21)):
    """`hourly_presence` of the day scored chunk by chunk with `score_day` (no prefetch thread)."""
    rate = day.scene.sample_rate
    plan = plan_day_chunks(round(DAY_S * rate), classifier.grid, rate, margin_windows=neighbourhood_windows(classifier))
    scores = score_day(plan, classifier, day.read, prefetch=False).scores
    day_of_scores = Day.of(date)
    return hourly_presence(day_of_scores, plan.window_times(day_of_scores.start_ns), scores)


def present_hours(presence) -> list[int]:
    return [int(t.hour) for t in presence.loc[presence["present"], "hour_utc"]]


def busy_day(
    seed: int,
    song: tuple[SongSession, ...] = (),
    recorded_s: tuple[float, float] = RECORDED_S,
    sample_rate: int = 16_000,
    song_recording: SongRecording | None = None,
) -> SparseDay:
    """A day of everything that is not humpback song, drawn from `seed`, each event in a recorded
    stretch: six ship passages (15-30 dB, 15-60 min), one 90-minute ship, four blue and four fin
    whale bouts (an hour each, 12-18 dB in their bands) and three earthquakes (20-30 dB). `song` is
    voiced by `song_recording` (e.g. real units, `demo.real_song`) when given, else synthetic."""
    rng = np.random.default_rng([seed, 9])
    hours = rng.permutation(24)
    middle = float(np.mean(recorded_s))
    ships = tuple(
        ShipPassage(
            at(int(h), middle + rng.uniform(-60, 60)),
            float(rng.choice([900.0, 1800.0, 2400.0, 3600.0])),
            float(rng.uniform(15, 30)),
        )
        for h in hours[:6]
    )
    long_ship = ShipPassage(at(int(hours[6]), recorded_s[1] + 300.0), 5400.0, float(rng.uniform(12, 20)))
    kinds: tuple[BaleenKind, ...] = ("blue",) * 4 + ("fin",) * 4
    baleen = tuple(
        BaleenCalls(kind, at(int(h), 0.0), 3600.0, float(rng.uniform(12, 18)))
        for kind, h in zip(kinds, rng.permutation(24)[:8], strict=True)
    )
    quakes = tuple(
        Earthquake(at(int(h), recorded_s[0] + rng.uniform(20, 150)), float(rng.uniform(20, 30)))
        for h in rng.permutation(24)[:3]
    )
    scene = MarsScene(
        DAY_S, seed=seed, ships=(*ships, long_ship), baleen=baleen, earthquakes=quakes, song=song,
        song_recording=song_recording, sample_rate=sample_rate,
    )  # fmt: skip
    return SparseDay(scene, recorded_s)
