"""AudioArchive.available_samples / read_samples: whole-day reads by sample index, local and on S3."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import boto3
import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter

from whale_assets.core.scoring.day_scoring import GAP_BLOCK_SAMPLES, silent_blocks
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable, UnsupportedAudioFormat
from whale_assets_tests.support.s3_server import moto_server, use_endpoint

SR = 16_000
DAY, TRUNCATED_DAY, MISSING_DAY, RATE_8K_DAY = (dt.date(2021, 6, d) for d in (1, 2, 3, 4))
DURATION_S = 600
# Recordings at 60 s and 300 s, digital silence elsewhere; 300.03 s starts mid-block.
RECORDINGS = ((60.0, 120.0), (300.03, 30.0))


def archive_like_noise(seconds: float, seed: int) -> np.ndarray:
    """Reddish noise at the archive's real level: broadband RMS ~8e-5 around a DC offset of -0.0034."""
    white = np.random.default_rng(seed).standard_normal(round(seconds * SR))
    red = lfilter([1.0], [1.0, -0.95], white)
    return (-0.0034 + 8e-5 * red / red.std()).astype(np.float32)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("archive")
    segments = [(at, archive_like_noise(seconds, seed)) for seed, (at, seconds) in enumerate(RECORDINGS)]
    write_day_file(archive_path(root, DAY), segments, duration_s=DURATION_S)
    write_day_file(archive_path(root, TRUNCATED_DAY), segments, duration_s=DURATION_S)
    os.truncate(archive_path(root, TRUNCATED_DAY), 3_000_000)  # the header still promises 600 s
    write_day_file(archive_path(root, RATE_8K_DAY), [], duration_s=60, sample_rate=8_000)
    return root


def libsndfile_samples(root: Path, day: dt.date, first: int, stop: int) -> np.ndarray:
    return sf.read(archive_path(root, day), start=first, stop=stop, dtype="float32")[0]


@pytest.mark.parametrize(
    "first, stop",
    [(0, DURATION_S * SR), (59 * SR + 7, 61 * SR + 3), (300 * SR, 300 * SR + 3 * GAP_BLOCK_SAMPLES + 11)],
)
def test_local_read_samples_are_exact_across_recordings_and_silence(root, first, stop):
    audio = AudioArchive(root).read_samples(DAY, first, stop)
    assert audio.dtype == np.float32
    np.testing.assert_array_equal(audio, libsndfile_samples(root, DAY, first, stop))


def test_skipped_silence_is_exactly_what_scoring_calls_silence(root):
    audio = AudioArchive(root).read_samples(DAY, 0, DURATION_S * SR)
    silent = silent_blocks(audio)
    assert 0 < silent.sum() < silent.size
    # The block holding 300.03 s is part silence, part recording: not silent, so decoded.
    assert not silent[int(300.03 * SR) // GAP_BLOCK_SAMPLES]
    assert np.all(audio[: 60 * SR] == 0) and np.all(audio[60 * SR : 180 * SR] != 0)


def test_silent_blocks_agree_on_raw_pcm_and_on_decoded_samples(root):
    path = archive_path(root, DAY)
    raw = np.fromfile(path, dtype=np.uint8)[-DURATION_S * SR * 3 :].reshape(-1, 3)
    decoded = sf.read(path, dtype="float32")[0]
    np.testing.assert_array_equal(silent_blocks(raw), silent_blocks(decoded))


def test_available_samples_of_a_whole_file_are_what_its_header_says(root):
    assert AudioArchive(root).available_samples(DAY) == (DURATION_S * SR, None)


def test_a_truncated_file_has_its_whole_samples_available_and_says_why(root):
    archive = AudioArchive(root)
    n, reason = archive.available_samples(TRUNCATED_DAY)
    data_offset = archive.layout(TRUNCATED_DAY).data_offset
    assert n == (3_000_000 - data_offset) // 3
    assert "truncated" in reason and str(DURATION_S * SR) in reason
    np.testing.assert_array_equal(
        archive.read_samples(TRUNCATED_DAY, n - 100, n), libsndfile_samples(root, TRUNCATED_DAY, n - 100, n)
    )
    with pytest.raises(AudioUnavailable, match="truncated"):
        archive.read_samples(TRUNCATED_DAY, n - 100, n + 100)


def test_a_missing_day_is_audio_unavailable(root):
    with pytest.raises(AudioUnavailable, match="does not exist"):
        AudioArchive(root).available_samples(MISSING_DAY)


def test_a_file_in_another_format_is_refused_by_the_archive_format_check(root):
    with pytest.raises(UnsupportedAudioFormat, match="8000 Hz.*expects 16000 Hz"):
        AudioArchive(root).read_samples(RATE_8K_DAY, 0, 100)


def test_s3_reads_give_the_same_samples_and_lengths_as_local_reads(root, monkeypatch):
    local = AudioArchive(root)
    with moto_server() as endpoint:
        bucket = use_endpoint(monkeypatch, endpoint)
        client = boto3.client("s3")
        for day in (DAY, TRUNCATED_DAY):
            client.upload_file(str(archive_path(root, day)), bucket, archive_path("mirror", day).as_posix())
        remote = AudioArchive(f"s3://{bucket}/mirror")
        assert remote.available_samples(DAY) == local.available_samples(DAY)
        n, reason = remote.available_samples(TRUNCATED_DAY)
        assert n == local.available_samples(TRUNCATED_DAY)[0] and reason.startswith(f"s3://{bucket}/mirror/")
        first, stop = 59 * SR + 7, 61 * SR + 3
        np.testing.assert_array_equal(remote.read_samples(DAY, first, stop), local.read_samples(DAY, first, stop))
        with pytest.raises(AudioUnavailable, match="truncated"):
            remote.read_samples(TRUNCATED_DAY, n - 100, n + 100)
