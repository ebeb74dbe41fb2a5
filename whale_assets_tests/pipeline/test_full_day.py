"""Full-day scoring: daily_scores and hourly_presence through Dagster, chunk equality and resume."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from dagster import Failure, materialize

from whale_assets.assets import DAY_SCORE_ASSETS
from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.day_chunks import plan_day_chunks
from whale_assets.core.scoring.day_scoring import score_day
from whale_assets.core.synthesis.mars_scene import MarsScene, SongRecording, SongSession, load_song_recording, render
from whale_assets.definitions import build_resources
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.resources import ClassifierResource, FileStore
from whale_assets.sources.audio_archive import AudioArchive
from whale_assets.sources.humpback_model import load_humpback_model
from whale_assets.storage.score_checkpoints import ScoreCheckpoints
from whale_assets_tests.support.noaa import SONG_WAV, requires_noaa
from whale_assets_tests.support.pipeline import DAY, SNRS_DB, query

GRID = WindowGrid.for_step(10_000)
RATE = ARCHIVE_SAMPLE_RATE


def run_full_day(settings, instance, day: str = DAY, resources: dict | None = None, raise_on_error=True, **config):
    run_config = {"ops": {name: {"config": values} for name, values in config.items()}}
    return materialize(
        DAY_SCORE_ASSETS,
        partition_key=day,
        resources={**build_resources(settings), **(resources or {})},
        instance=instance,
        run_config=run_config,
        raise_on_error=raise_on_error,
    )


def materialization_metadata(instance, asset: str) -> dict:
    from dagster import AssetKey

    event = instance.get_latest_materialization_event(AssetKey(asset))
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def mars_audio(
    seconds: float,
    song_at: tuple[float, float] | None,
    seed: int,
    snr_db: float = 10.0,
    recording: SongRecording | None = None,
) -> np.ndarray:
    """MARS-like audio (DC offset, drifting reddish noise) with song at `song_at` (seconds) at an
    in-band SNR of `snr_db`, voiced by `recording`'s real units if given."""
    song = () if song_at is None else (SongSession(song_at[0], song_at[1] - song_at[0], snr_db),)
    return render(MarsScene(seconds, seed=seed, song=song, song_recording=recording, sample_rate=RATE))


def write_day(world, segments, day: str = DAY, duration_s: float = 86_400.0):
    write_day_file(archive_path(world.archive_dir, dt.date.fromisoformat(day)), segments, duration_s=duration_s)


def hours(frame: pd.DataFrame) -> list[int]:
    return sorted(int(h.hour) for h in frame.loc[frame["present"], "hour_utc"])


def scores_between(scores: pd.DataFrame, start: str, end: str) -> pd.Series:
    day = pd.Timestamp(DAY)
    t = scores["time_utc"]
    return scores.loc[(t >= day + pd.Timedelta(start)) & (t < day + pd.Timedelta(end)), "score"]


SONG_MEDIAN_FLOOR = {6.0: 0.6, 10.0: 0.8, 15.0: 0.8}
"""Median score over two minutes of song: measured 0.72 (6 dB), 0.99 (10 dB) and 1.00 (15 dB) at
the weaker of the two bouts; at 6 dB the gaps between faint units pull the median down."""


@pytest.mark.slow
@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_a_sparse_full_day_is_scored_window_by_window_and_song_hours_are_present(world, instance, snr_db):
    # Digital silence everywhere except three 20-minute recordings; song in two of them.
    write_day(
        world,
        [
            (5 * 3600.0, mars_audio(1200, (600, 780), seed=1, snr_db=snr_db)),  # song 05:10-05:13
            (14 * 3600.0, mars_audio(1200, None, seed=2)),  # background only
            (20 * 3600.0 + 1800, mars_audio(1200, (300, 480), seed=3, snr_db=snr_db)),  # song 20:35-20:38
        ],
    )
    settings = world.settings()
    assert run_full_day(settings, instance).success

    scores = query(settings, "select * from daily_scores order by time_utc")
    assert set(scores.columns) == {"date", "time_utc", "score", "model"}
    assert (scores["model"] == "energy").all() and (scores["date"] == pd.Timestamp(DAY)).all()
    # Only the recorded stretches have rows, each window on the 0.99 s grid from midnight.
    offsets_us = (scores["time_utc"] - pd.Timestamp(DAY)) // pd.Timedelta(microseconds=1)
    assert (offsets_us % 990_000 == 0).all()
    per_stretch = GRID.n_windows(1200 * 10_000)
    assert len(scores) == pytest.approx(3 * per_stretch, abs=6)
    assert scores_between(scores, "05:10:30", "05:12:30").median() > SONG_MEDIAN_FLOOR[snr_db]
    assert scores_between(scores, "20:35:30", "20:37:30").median() > SONG_MEDIAN_FLOOR[snr_db]
    assert scores_between(scores, "14:00:00", "15:00:00").quantile(0.95) < 0.5
    assert scores_between(scores, "05:00:00", "05:09:00").quantile(0.95) < 0.5

    presence = query(settings, "select * from hourly_presence order by hour_utc")
    assert len(presence) == 24 and hours(presence) == [5, 20]
    assert presence.loc[14, "n_scores"] > 1000 and presence.loc[0, "n_scores"] == 0
    assert presence.loc[5, "max_score"] > 0.9 and presence.loc[14, "max_score"] < 0.9

    meta = materialization_metadata(instance, "daily_scores")
    assert meta["windows"] == 87_269 and meta["windows_scored"] == len(scores)
    assert meta["missing_hours"] == [h for h in range(24) if h not in (5, 14, 20)]
    assert meta["chunks_scored"] == 144 and meta["chunks_unavailable"] == 0
    assert not (settings.data_dir / "checkpoints" / "daily_scores" / DAY).exists()  # removed after the write


@pytest.mark.slow
def test_a_missing_day_yields_no_rows_and_says_so_and_a_truncated_file_yields_what_exists(world, instance):
    settings = world.settings()
    assert run_full_day(settings, instance).success
    assert len(query(settings, "select * from daily_scores")) == 0
    meta = materialization_metadata(instance, "daily_scores")
    assert meta["missing_hours"] == list(range(24)) and "no archive file" in meta["problems"][0]
    assert hours(query(settings, "select * from hourly_presence")) == []

    # A file cut off after 2.5 hours: the first two and a half hours are scored.
    path = archive_path(world.archive_dir, dt.date.fromisoformat(DAY))
    write_day(world, [(3600.0, mars_audio(1200, (400, 600), seed=4)), (7200.0, mars_audio(1500, None, seed=5))])
    data_offset = AudioArchive(world.archive_dir).layout(dt.date.fromisoformat(DAY)).data_offset
    with open(path, "r+b") as stream:
        stream.truncate(data_offset + 9000 * RATE * 3)
    assert run_full_day(settings, instance).success
    meta = materialization_metadata(instance, "daily_scores")
    assert meta["missing_hours"] == [0, *range(3, 24)] and "truncated" in meta["problems"][0]
    presence = query(settings, "select * from hourly_presence order by hour_utc")
    assert hours(presence) == [1] and presence.loc[2, "n_scores"] > 1000


def test_chunked_scores_equal_one_call_window_for_window_with_the_stand_in_savedmodel(humpback_savedmodel_dir):
    model = load_humpback_model(str(humpback_savedmodel_dir))
    # 20 minutes whose level changes every 7.3 s, so a shifted, lost or doubled window shows.
    n = 1200 * RATE + 77
    rng = np.random.default_rng(5)
    t = np.arange(n) / RATE
    audio = np.sin(2 * np.pi * 300 * t) * (0.001 + 0.01 * (np.floor(t / 7.3) % 5)) + rng.normal(0, 3e-4, n)
    audio = audio.astype(np.float32)
    whole = model.score(resample_exact(audio, RATE, GRID.sample_rate))
    plan = plan_day_chunks(n, model.grid, chunk_s=170.0)  # 8 chunks, none on a window boundary
    assert len(plan.chunks) == 8 and plan.n_windows == whole.size
    day = score_day(plan, model, lambda c: audio[c.read_start : c.read_stop])
    np.testing.assert_allclose(day.scores, whole, rtol=0, atol=1e-6)
    assert np.ptp(whole) > 0.5


class _CountingClassifier:
    """Wraps a classifier: counts calls and can stop after a number of them (a killed run)."""

    def __init__(self, inner, fail_after: int | None = None, stop: BaseException | None = None):
        self.inner, self.fail_after, self.calls = inner, fail_after, 0
        self.stop = KeyboardInterrupt("killed") if stop is None else stop
        self.name, self.grid, self.neighbourhood_windows = inner.name, inner.grid, inner.neighbourhood_windows

    def score(self, waveform):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise self.stop
        self.calls += 1
        return self.inner.score(waveform)


def test_an_interrupted_day_resumes_with_only_the_chunks_not_done(tmp_path, humpback_savedmodel_dir):
    model = load_humpback_model(str(humpback_savedmodel_dir))
    n = 600 * RATE
    audio = mars_audio(600, (200, 300), seed=6)
    plan = plan_day_chunks(n, model.grid, chunk_s=120.0)
    assert len(plan.chunks) == 5
    store = ScoreCheckpoints(FileStore(base_path=str(tmp_path / "checkpoints")), dt.date(2023, 9, 14), model.name, plan)

    def read(chunk):
        return audio[chunk.read_start : chunk.read_stop]

    killed = _CountingClassifier(model, fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        score_day(plan, killed, read, checkpoints=store)
    assert store.saved_chunks() == ["chunk-0000.npy", "chunk-0001.npy"]

    resumed = _CountingClassifier(model)
    day = score_day(plan, resumed, read, checkpoints=store)
    assert resumed.calls == 3
    assert [o.source for o in day.outcomes] == ["checkpoint"] * 2 + ["scored"] * 3
    np.testing.assert_allclose(day.scores, score_day(plan, model, read).scores, atol=1e-6)
    # Another model (or step) never picks up these chunks.
    other = ScoreCheckpoints(store.store, dt.date(2023, 9, 14), "another-model", plan)
    assert other.saved_chunks() == []


_runs: list[_CountingClassifier] = []


class _FlakyClassifierResource(ClassifierResource):
    fail_after: int | None = None

    def load(self, context_step_samples: int = 10_000):
        # Not retried (a killed process is not retried in-process either).
        stop = Failure("killed", allow_retries=False)
        wrapped = _CountingClassifier(super().load(context_step_samples), self.fail_after, stop)
        _runs.append(wrapped)
        return wrapped


@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_a_killed_materialization_resumes_from_its_checkpoints(world, instance, humpback_savedmodel_dir, snr_db):
    # A 90-minute day file in 30-minute chunks (the stand-in model over a whole day would be too
    # slow here): five minutes of audio at the start of each chunk, song at 00:31:40.
    write_day(
        world,
        [
            (start, mars_audio(300, song, seed=7, snr_db=snr_db))
            for start, song in ((0, None), (1800, (100, 160)), (3600, None))
        ],
        duration_s=5400,
    )
    settings = world.settings(classifier="humpback", model=str(humpback_savedmodel_dir))
    config = {"daily_scores": {"chunk_s": 1800.0}}
    flaky = _FlakyClassifierResource(name="humpback", model=str(humpback_savedmodel_dir), fail_after=1)
    result = run_full_day(settings, instance, resources={"classifier": flaky}, raise_on_error=False, **config)
    assert not result.success
    saved = list((settings.data_dir / "checkpoints" / "daily_scores" / DAY).rglob("chunk-*.npy"))
    assert [p.name for p in saved] == ["chunk-0000.npy"]

    steady = _FlakyClassifierResource(name="humpback", model=str(humpback_savedmodel_dir))
    assert run_full_day(settings, instance, resources={"classifier": steady}, **config).success
    assert _runs[-1].calls == 2  # chunks 1 and 2 only
    meta = materialization_metadata(instance, "daily_scores")
    assert meta["chunks_from_checkpoints"] == 1 and meta["chunks_scored"] == 2
    assert meta["missing_hours"] == list(range(2, 24))
    scores = query(settings, "select * from daily_scores order by time_utc")
    assert 3 * GRID.n_windows(300 * 10_000) - 3 <= len(scores) <= 3 * GRID.n_windows(300 * 10_000)
    assert (scores["model"] == str(humpback_savedmodel_dir)).all()
    song = scores_between(scores, "00:31:45", "00:32:35")
    background = scores_between(scores, "00:00:00", "00:05:00")
    assert song.median() > 0.5 > background.quantile(0.99)
    presence = query(settings, "select * from hourly_presence order by hour_utc")
    assert hours(presence) == [0]


@pytest.mark.slow
@requires_noaa
def test_real_noaa_song_in_a_full_day_file_is_found_in_its_hour(world, instance):
    # 75 s of real Cross Seamount song units at 10 dB in-band, 7 minutes into 20 minutes of
    # MARS-like background from 09:30.
    recording = load_song_recording(SONG_WAV, RATE)
    write_day(world, [(9 * 3600.0 + 1800, mars_audio(1200, (420.0, 495.0), 8, recording=recording))])
    settings = world.settings()
    assert run_full_day(settings, instance).success
    scores = query(settings, "select * from daily_scores order by time_utc")
    # Real song is units with silences between them (a third of the 75 s here), so not every
    # window scores high: the loudest do, and enough of them for the hour's presence.
    song = scores_between(scores, "09:37:00", "09:38:15")
    assert song.max() > 0.9 and (song > 0.5).sum() * 0.99 >= 15
    assert scores_between(scores, "09:30:00", "09:36:30").quantile(0.95) < 0.5
    assert scores_between(scores, "09:39:30", "09:50:00").quantile(0.95) < 0.5
    assert hours(query(settings, "select * from hourly_presence")) == [9]
