"""The day's chunk plan: every window in exactly one chunk, reads that reproduce the whole-day signal."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.day_chunks import chunk_waveform, plan_day_chunks
from whale_assets.core.scoring.day_scoring import (
    gap_intervals,
    runs,
    score_chunk,
    score_day,
    silent_blocks,
    windows_with_audio,
)

GRID = WindowGrid.for_step(10_000)
DAY = 86_400 * 16_000


def test_a_full_day_has_87_269_windows_in_24_hourly_chunks_on_the_099_s_step():
    plan = plan_day_chunks(DAY, GRID, chunk_s=3600.0)
    assert plan.n_model_samples == 864_000_000
    assert plan.n_windows == GRID.n_windows(864_000_000) == 87_269
    assert [c.index for c in plan.chunks] == list(range(24))
    assert plan.chunks[0].first_window == 0 and plan.chunks[-1].stop_window == plan.n_windows
    for before, after in pairwise(plan.chunks):
        assert before.stop_window == after.first_window  # no window lost, none counted twice
    offsets = plan.window_offsets_ns()
    assert offsets[1] == 990_000_000 and offsets[-1] == 87_268 * 990_000_000
    for chunk in plan.chunks:  # a chunk owns the windows that start within its hour
        assert offsets[chunk.first_window] >= chunk.index * 3600 * 10**9
        assert offsets[chunk.stop_window - 1] < (chunk.index + 1) * 3600 * 10**9
    assert {c.n_windows for c in plan.chunks[:-1]} <= {3636, 3637}
    times = plan.window_times(np.datetime64("2023-09-14T00:00:00"), 3636, 3638)
    assert list(times.astype(str)) == ["2023-09-14T00:59:59.640000000", "2023-09-14T01:00:00.630000000"]


def test_by_default_a_day_is_scored_in_144_ten_minute_chunks():
    plan = plan_day_chunks(DAY, GRID)
    assert plan.chunk_s == 600.0 and len(plan.chunks) == 144
    assert sum(c.n_windows for c in plan.chunks) == 87_269
    # Audio in memory per chunk: ten minutes plus one context and the guards, never an hour.
    assert max(c.n_read for c in plan.chunks) < 605 * 16_000


def test_reads_cover_context_and_guard_within_the_file_and_stay_on_the_polyphase_phase():
    plan = plan_day_chunks(DAY, GRID, chunk_s=1800.0)
    for chunk in plan.chunks:
        assert chunk.read_start % 8 == 0 and chunk.offset * 8 == chunk.read_start * 5
        assert 0 <= chunk.read_start and chunk.read_stop <= DAY
        assert chunk.trim_start == chunk.first_window * GRID.step_samples - chunk.offset
        assert chunk.trim_stop - chunk.trim_start == GRID.samples_for_windows(chunk.n_windows)
        if chunk.index:
            assert chunk.trim_start * 8 >= 256 * 5  # the guard lies before the scored samples
    assert plan.chunks[0].read_start == 0


def test_margin_windows_are_scored_but_owned_by_the_neighbouring_chunk():
    plan = plan_day_chunks(2 * 3600 * 16_000, GRID, chunk_s=3600.0, margin_windows=100)
    first, second = plan.chunks
    assert first.scored_first == 0 and first.scored_stop == first.stop_window + 100
    assert second.scored_first == second.first_window - 100 and second.scored_stop == plan.n_windows
    assert first.owned == slice(0, first.n_windows)
    assert second.owned == slice(100, 100 + second.n_windows)


@pytest.mark.parametrize("bad", [dict(chunk_s=0), dict(chunk_s=0.00001), dict(margin_windows=-1)])
def test_an_impossible_plan_is_refused(bad):
    with pytest.raises(ValueError):
        plan_day_chunks(DAY, GRID, **bad)


def test_short_and_empty_files_get_only_the_windows_they_hold():
    assert plan_day_chunks(0, GRID).chunks == ()
    plan = plan_day_chunks(62_590, GRID)  # short of one context (39 124 samples at 10 kHz)
    assert plan.n_windows == 0 and plan.chunks == ()
    plan = plan_day_chunks(5400 * 16_000 + 7, GRID)  # 1.5 h and a bit: nine ten-minute chunks
    assert plan.n_windows == GRID.n_windows(-(-(5400 * 16_000 + 7) * 5 // 8))
    assert [c.index for c in plan.chunks] == list(range(9))


def test_chunk_waveforms_are_the_whole_resampled_signal_sample_for_sample():
    rng = np.random.default_rng(3)
    n = 16_000 * 1500 + 123  # 25 minutes and a ragged end
    audio = rng.standard_normal(n).astype(np.float32)
    whole = resample_exact(audio, 16_000, 10_000)
    plan = plan_day_chunks(n, GRID, chunk_s=300.0, margin_windows=3)
    assert len(plan.chunks) == 5
    for chunk in plan.chunks:
        part = chunk_waveform(plan, chunk, audio[chunk.read_start : chunk.read_stop])
        m0 = chunk.scored_first * GRID.step_samples
        np.testing.assert_array_equal(part, whole[m0 : m0 + part.size])
        # Any stretch of the scored windows alone is resampled to the same samples.
        first, stop = 7, chunk.n_scored - 11
        part = chunk_waveform(plan, chunk, audio[chunk.read_start : chunk.read_stop], first, stop)
        m0 = (chunk.scored_first + first) * GRID.step_samples
        assert part.size == GRID.samples_for_windows(stop - first)
        np.testing.assert_array_equal(part, whole[m0 : m0 + part.size])
    with pytest.raises(ValueError, match="needs"):
        chunk_waveform(plan, plan.chunks[0], audio[:100])


class _Mean:
    """A per-window toy classifier: the mean absolute sample of each window, squashed to [0, 1)."""

    name = "mean"
    grid = GRID
    neighbourhood_windows = 0

    def __init__(self):
        self.calls = []

    def score(self, waveform):
        n = self.grid.n_windows(waveform.size)
        self.calls.append(n)
        starts = self.grid.window_start_samples(n)
        return np.array(
            [np.tanh(np.abs(waveform[s : s + self.grid.context_samples]).mean()) for s in starts], np.float32
        )


def test_digital_silence_is_a_gap_windows_touching_it_get_no_score():
    rng = np.random.default_rng(0)
    n = 16_000 * 600
    audio = (rng.standard_normal(n) * 0.01).astype(np.float32)
    audio[16_000 * 200 : 16_000 * 260] = 0.0  # one minute of zeros
    audio[16_000 * 400 + 5] = 0.0  # a single zero sample inside real audio is not a gap
    silent = silent_blocks(audio)
    assert silent.sum() == 600 and silent.size == n // 1600
    plan = plan_day_chunks(n, GRID, chunk_s=600.0)
    [chunk] = plan.chunks
    audio = audio[chunk.read_start : chunk.read_stop]
    has_audio = windows_with_audio(plan, chunk, audio)
    starts = plan.window_offsets_ns() / 1e9
    touches = (starts + GRID.context_s > 200) & (starts < 260)
    np.testing.assert_array_equal(~has_audio, touches)
    classifier = _Mean()
    scores = score_chunk(classifier, plan, chunk, audio)
    assert np.isnan(scores[touches]).all() and not np.isnan(scores[~touches]).any()
    assert len(classifier.calls) == 2 and sum(classifier.calls) == (~touches).sum()
    assert runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    assert silent_blocks(np.zeros(1601, np.float32)).tolist() == [True, True]


def test_an_all_silent_day_calls_no_model():
    classifier = _Mean()
    n = 16_000 * 7200
    plan = plan_day_chunks(n, GRID)
    day = score_day(plan, classifier, lambda c: np.zeros(c.n_read, np.float32))
    assert classifier.calls == [] and np.isnan(day.scores).all() and day.count("scored") == 12


def test_a_gap_reaches_to_its_exact_first_and_last_zero_sample():
    audio = np.ones(16_000, np.float32)
    audio[1000:5555] = 0.0
    audio[9000] = 0.0  # one zero inside audio: no gap
    assert gap_intervals(audio).tolist() == [[1000, 5555]]
    assert gap_intervals(np.zeros(3000, np.float32)).tolist() == [[0, 3000]]
    assert gap_intervals(np.ones(3000, np.float32)).shape == (0, 2)


def test_a_short_last_chunk_scores_a_whole_neighbourhood_of_windows():
    # 25 minutes in 170 s chunks: the last chunk owns fewer windows than a floor neighbourhood.
    plan = plan_day_chunks(1500 * 16_000, GRID, chunk_s=170.0, margin_windows=152)
    last = plan.chunks[-1]
    assert last.n_windows < 152 and last.scored_stop == plan.n_windows
    assert last.n_scored == 2 * 152 - 1
    assert all(c.n_scored >= 2 * 152 - 1 for c in plan.chunks)
