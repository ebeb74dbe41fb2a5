"""A window's audio coverage: what was read, less digital silence, over what was asked for."""

from __future__ import annotations

import numpy as np

from whale_assets.core.audio.coverage import (
    SilenceTally,
    audio_coverage,
    recorded_stretches,
    sift_recorded,
    silent_samples,
)
from whale_assets.core.audio.sift import SiftParameters
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render

SR = 16_000


def archive_like(seconds: float) -> np.ndarray:
    """MARS-like audio (DC offset -0.0034, ~8e-5 RMS): never exactly zero, so never silence."""
    return render(MarsScene(seconds, seed=3)).astype(np.float32)


def test_digital_silence_counts_only_its_all_zero_blocks():
    audio = np.concatenate([archive_like(2.0), np.zeros(SR, np.float32), archive_like(0.55)])
    assert silent_samples(audio) == SR
    assert silent_samples(np.zeros(SR + 100, np.float32)) == SR + 100  # a short last block too
    assert silent_samples(archive_like(1.0)) == 0


def test_streamed_pieces_are_tallied_as_they_pass_and_passed_on_unchanged():
    pieces = [archive_like(1.0), np.zeros(2 * SR, np.float32)]
    tally = SilenceTally()
    passed = list(tally.count(iter(pieces)))
    assert tally.silent == 2 * SR and all(a is b for a, b in zip(passed, pieces, strict=True))


def test_coverage_is_the_read_non_silent_share_of_the_request():
    assert audio_coverage(100 * SR, 80 * SR, 20 * SR) == 0.6
    assert audio_coverage(100 * SR, 100 * SR, 0) == 1.0
    assert audio_coverage(0, 0, 0) == 0.0


def test_recorded_stretches_end_exactly_where_the_silence_begins_mid_block():
    audio = np.concatenate([archive_like(1.0), np.zeros(2 * SR + 123, np.float32), archive_like(1.0)])
    assert recorded_stretches(audio) == [(0, SR), (3 * SR + 123, 4 * SR + 123)]
    assert recorded_stretches(archive_like(1.0)) == [(0, SR)]


def test_song_next_to_digital_silence_is_kept_and_the_silences_edges_are_not():
    song_at = (10.0, 25.0)
    scene = MarsScene(40.0, seed=5, song=(SongSession(song_at[0], song_at[1] - song_at[0], 10.0),))
    audio = render(scene).astype(np.float32)
    audio[32 * SR + 77 :] = 0.0  # the recorder stops mid-block: the DC offset steps to 0
    audio = np.concatenate([np.zeros(20 * SR + 11, np.float32), audio])  # and starts late
    regions, segments = sift_recorded(audio, SR, SiftParameters(), pad_samples=round(3.92 * SR))
    offset = 20 * SR + 11
    assert regions, "the song was not found"
    assert all(offset + (song_at[0] - 1) * SR <= a and b <= offset + (song_at[1] + 1) * SR for a, b in regions)
    assert all(offset <= a and b <= offset + 32 * SR + 77 for a, b in segments)
