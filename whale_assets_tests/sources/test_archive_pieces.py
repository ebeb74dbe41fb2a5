"""Issue 14, finding 6: long windows come from the archive in bounded pieces, checked up front."""

import datetime as dt
import importlib
import os

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.encounters.windows import EncounterWindow
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE as SR
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.sources.audio_archive import AudioArchive, AudioPieces, AudioUnavailable

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

raw_audio = importlib.import_module("whale_assets.assets.raw_audio")  # the module, not the asset
DAY, NEXT = dt.date(2019, 3, 1), dt.date(2019, 3, 2)
MIDNIGHT = pd.Timestamp("2019-03-02", tz="UTC")


def quiet(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    red = np.convolve(rng.normal(0, 1, int(seconds * SR)), np.ones(32) / 32, mode="same")
    return (-0.0034 + 8e-5 * red / red.std()).astype(np.float32)


@pytest.fixture
def archive(tmp_path) -> AudioArchive:
    write_day_file(archive_path(tmp_path, DAY), [(86_400 - 30, quiet(30, 1))])
    write_day_file(archive_path(tmp_path, NEXT), [(0, quiet(30, 2))])
    return AudioArchive(tmp_path)


def test_pieces_across_midnight_are_bounded_and_equal_one_whole_read(archive):
    start, end = MIDNIGHT - pd.Timedelta(seconds=25), MIDNIGHT + pd.Timedelta(seconds=20)
    pieces = archive.read_pieces(start, end, piece_samples=10 * SR)
    got = list(pieces.pieces)
    assert max(piece.size for piece in got) <= 10 * SR and pieces.n_samples == 45 * SR
    np.testing.assert_array_equal(np.concatenate(got), archive.read(start, end))


def test_a_truncated_day_file_is_refused_before_any_piece_is_read(archive, tmp_path):
    os.truncate(archive_path(tmp_path, NEXT), 1_000_000)  # the header still promises a whole day
    with pytest.raises(AudioUnavailable, match="truncated"):
        archive.read_pieces(MIDNIGHT - pd.Timedelta(seconds=5), MIDNIGHT + pd.Timedelta(seconds=25))


def test_raw_audio_streams_a_window_longer_than_a_piece_and_reads_a_short_one_whole(archive, monkeypatch):
    monkeypatch.setattr(raw_audio, "PIECE_SAMPLES", 10 * SR)
    long = EncounterWindow("long", MIDNIGHT - pd.Timedelta(seconds=25), MIDNIGHT + pd.Timedelta(seconds=20), ("e",))
    short = EncounterWindow("short", MIDNIGHT, MIDNIGHT + pd.Timedelta(seconds=5), ("e",))
    streamed = raw_audio._read_audio(archive, long.start_utc, long.end_utc)
    assert isinstance(streamed, AudioPieces) and streamed.n_samples == 45 * SR
    pieces = list(streamed.pieces)
    assert max(piece.size for piece in pieces) <= 10 * SR
    np.testing.assert_array_equal(np.concatenate(pieces), archive.read(long.start_utc, long.end_utc))
    assert isinstance(raw_audio._read_audio(archive, short.start_utc, short.end_utc), np.ndarray)
