"""AudioArchive: exact samples by exact byte ranges, from a local archive and from S3 on loopback."""

from __future__ import annotations

import datetime as dt
import os
import struct
from pathlib import Path

import boto3
import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from whale_assets.core.audio.wav_header import parse_wav_header
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.sources.audio_archive import (
    AudioArchive,
    AudioUnavailable,
    CorruptWavHeader,
    UnsupportedAudioFormat,
)

SR = 16_000
FULL_DAY, SHORT_DAY, MISSING_DAY, TRUNCATED_DAY = (dt.date(2019, 3, d) for d in (1, 3, 4, 5))
NEXT_DAY = dt.date(2019, 3, 2)
CORRUPT_DAY, EMPTY_DAY, RATE_8K_DAY, PCM16_DAY, BIG_HEADER_DAY = (dt.date(2019, 3, d) for d in range(6, 11))

_rng = np.random.default_rng(7)
SONG = _rng.uniform(-0.9, 0.9, 2 * SR).astype(np.float32)  # 2 s at 12 345.25 s into FULL_DAY
SONG_AT = 12_345.25
TAIL = _rng.uniform(-1.2, 1.2, 10 * SR).astype(np.float32)  # last 10 s of FULL_DAY (clips)
HEAD = _rng.uniform(-0.5, 0.5, 10 * SR).astype(np.float32)  # first 10 s of NEXT_DAY
SHORT = _rng.uniform(-0.5, 0.5, 3 * SR).astype(np.float32)  # 3 s at 100 s into the 10-minute SHORT_DAY
BIG_LIST = 10_000  # a LIST chunk bigger than the first header read


def quantised(x: np.ndarray) -> np.ndarray:
    """What 24-bit storage makes of x, computed independently of whale_assets.core.audio.pcm."""
    return (np.clip(np.rint(x.astype(np.float64) * 2**23), -(2**23), 2**23 - 1) / 2**23).astype(np.float32)


def at(day: dt.date, seconds: float) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC") + pd.Timedelta(seconds=seconds)


def write_big_header_file(path: Path, samples: np.ndarray) -> int:
    """A 1-minute file whose LIST chunk is bigger than the header probe; returns its data offset."""
    data = np.rint(samples.astype(np.float64) * 2**23).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    data = data.ljust(60 * SR * 3, b"\0")
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, SR, SR * 3, 3, 24)
    listing = struct.pack("<4sI4s", b"LIST", BIG_LIST, b"INFO") + b"\0" * (BIG_LIST - 4)
    body = b"WAVE" + fmt + listing + struct.pack("<4sI", b"data", len(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<4sI", b"RIFF", len(body) + len(data)) + body + data)
    return 12 + len(fmt) + len(listing) + 8


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local archive: two full-length sparse days, a short day, and broken files."""
    root = tmp_path_factory.mktemp("archive")
    write_day_file(archive_path(root, FULL_DAY), [(SONG_AT, SONG), (86_390, TAIL)])
    write_day_file(archive_path(root, NEXT_DAY), [(0, HEAD)])
    write_day_file(archive_path(root, SHORT_DAY), [(100, SHORT)], duration_s=600)
    write_day_file(archive_path(root, TRUNCATED_DAY), [(0, SHORT)], duration_s=600)
    os.truncate(archive_path(root, TRUNCATED_DAY), 1_000_000)  # header still promises 600 s
    archive_path(root, CORRUPT_DAY).parent.mkdir(parents=True, exist_ok=True)
    archive_path(root, CORRUPT_DAY).write_bytes(b"<html><body>503 Service Unavailable</body></html>" * 10)
    archive_path(root, EMPTY_DAY).write_bytes(b"")
    write_day_file(archive_path(root, RATE_8K_DAY), [], duration_s=60, sample_rate=8_000)
    sf.write(archive_path(root, PCM16_DAY), np.zeros(SR), SR, subtype="PCM_16")
    write_big_header_file(archive_path(root, BIG_HEADER_DAY), SHORT)
    return root


@pytest.fixture
def archive(root: Path) -> AudioArchive:
    return AudioArchive(str(root))


def spy_on_range_reads(archive: AudioArchive, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    calls: list[tuple[str, int, int]] = []
    cat_file = archive.fs.cat_file

    def recording(path: str, start: int, end: int) -> bytes:
        calls.append((path, start, end))
        return cat_file(path, start=start, end=end)

    monkeypatch.setattr(archive.fs, "cat_file", recording)
    return calls


# --- the writer -------------------------------------------------------------------------------


def test_written_day_is_full_length_yet_sparse_and_readable_by_libsndfile(root):
    path = archive_path(root, FULL_DAY)
    with path.open("rb") as f:
        layout = parse_wav_header(f.read(4096), str(path))
    assert (layout.data_size, layout.n_samples) == (4_147_200_000, 86_400 * SR)
    assert layout.data_offset > 44  # the LIST chunk sits before the data
    assert path.stat().st_size == layout.data_offset + layout.data_size
    assert path.stat().st_blocks * 512 < 10_000_000  # holes, not 4 GB of zeros
    info = sf.info(str(path))
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (SR, 1, 86_400 * SR, "PCM_24")
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # temp files renamed away


def test_segment_outside_the_file_is_rejected_and_leaves_no_file(tmp_path):
    path = archive_path(tmp_path, FULL_DAY)
    with pytest.raises(ValueError, match="falls outside"):
        write_day_file(path, [(599.5, SHORT)], duration_s=600)
    assert list(path.parent.iterdir()) == []


# --- local reads ------------------------------------------------------------------------------


def test_read_returns_exactly_the_written_samples(archive):
    got = archive.read(at(FULL_DAY, SONG_AT), at(FULL_DAY, SONG_AT + 2))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, quantised(SONG))


def test_read_places_the_segment_at_the_exact_sample_offset(archive):
    got = archive.read(at(FULL_DAY, 12_345), at(FULL_DAY, 12_348))
    assert got.shape == (3 * SR,)
    lead = SR // 4  # the segment starts 0.25 s into the window
    assert not got[:lead].any() and not got[lead + SONG.size :].any()
    np.testing.assert_array_equal(got[lead : lead + SONG.size], quantised(SONG))


def test_read_agrees_with_libsndfile_on_a_full_length_day(archive, root):
    first = round(SONG_AT * SR) - 100
    reference, _ = sf.read(str(archive_path(root, FULL_DAY)), start=first, frames=SONG.size + 200, dtype="float32")
    np.testing.assert_array_equal(
        archive.read(at(FULL_DAY, first / SR), at(FULL_DAY, (first + SONG.size + 200) / SR)), reference
    )


def test_window_crossing_midnight_joins_the_tail_of_one_file_and_the_head_of_the_next(archive, monkeypatch):
    calls = spy_on_range_reads(archive, monkeypatch)
    got = archive.read(at(FULL_DAY, 86_395), at(NEXT_DAY, 5))
    np.testing.assert_array_equal(got, np.concatenate([quantised(TAIL[-5 * SR :]), quantised(HEAD[: 5 * SR])]))
    first, second = archive.layout(FULL_DAY), archive.layout(NEXT_DAY)
    data_reads = [c for c in calls if c[1] > 0]
    assert data_reads == [
        (archive.day_path(FULL_DAY), first.data_offset + 3 * (86_395 * SR), first.data_offset + first.data_size),
        (archive.day_path(NEXT_DAY), second.data_offset, second.data_offset + 3 * 5 * SR),
    ]


def test_bytes_read_is_needed_bytes_plus_one_header_read_per_day(archive):
    n = 30 * SR
    archive.read(at(FULL_DAY, 3_600), at(FULL_DAY, 3_630))
    assert archive.bytes_read == AudioArchive.HEADER_PROBE + 3 * n
    archive.read(at(FULL_DAY, 7_200), at(FULL_DAY, 7_230))  # header cached: samples only
    assert archive.bytes_read == AudioArchive.HEADER_PROBE + 2 * 3 * n
    archive.read(at(FULL_DAY, 86_385), at(NEXT_DAY, 15))  # next day's header, then samples
    assert archive.bytes_read == 2 * AudioArchive.HEADER_PROBE + 3 * 3 * n


def test_header_longer_than_the_first_read_is_completed_with_one_more_range_read(archive, root):
    got = archive.read(at(BIG_HEADER_DAY, 0), at(BIG_HEADER_DAY, 3))
    np.testing.assert_array_equal(got, quantised(SHORT))
    data_offset = 12 + 24 + 8 + BIG_LIST + 8
    assert archive.layout(BIG_HEADER_DAY).data_offset == data_offset
    assert archive.bytes_read == data_offset + 3 * SHORT.size


def test_missing_day_is_audio_unavailable_naming_the_day(archive):
    assert not archive.has_day(MISSING_DAY) and archive.has_day(FULL_DAY)
    with pytest.raises(AudioUnavailable, match="no archive file for 2019-03-04"):
        archive.read(at(MISSING_DAY, 60), at(MISSING_DAY, 120))


def test_days_before_the_first_recording_have_no_audio_without_asking_the_store(tmp_path, monkeypatch):
    archive = AudioArchive(tmp_path)

    def store_asked(*args, **kwargs):
        raise AssertionError("the store was asked about a day before the archive began")

    monkeypatch.setattr(archive.fs, "cat_file", store_asked)
    monkeypatch.setattr(archive.fs, "exists", store_asked)
    before = dt.date(2015, 7, 20)
    assert not archive.has_day(before)
    with pytest.raises(AudioUnavailable, match="no audio for 2015-07-20: the archive begins on 2015-07-28"):
        archive.read(at(before, 60), at(before, 120))
    assert archive.bytes_read == 0


def test_window_running_into_a_missing_day_fetches_no_sample_bytes(archive, root):
    write_day_file(archive_path(root, dt.date(2019, 3, 11)), [])
    with pytest.raises(AudioUnavailable, match="2019-03-12"):
        archive.read(at(dt.date(2019, 3, 11), 86_399), at(dt.date(2019, 3, 12), 1))
    assert archive.bytes_read == AudioArchive.HEADER_PROBE  # the first day's header only


def test_range_past_the_end_of_a_short_file_is_audio_unavailable(archive):
    np.testing.assert_array_equal(archive.read(at(SHORT_DAY, 100), at(SHORT_DAY, 103)), quantised(SHORT))
    with pytest.raises(AudioUnavailable, match=r"MARS-20190303T000000Z-16kHz.wav .*too short.*600 s"):
        archive.read(at(SHORT_DAY, 599), at(SHORT_DAY, 601))


def test_file_shorter_than_its_header_promises_is_audio_unavailable(archive):
    with pytest.raises(AudioUnavailable, match="MARS-20190305T000000Z-16kHz.wav is truncated"):
        archive.read(at(TRUNCATED_DAY, 300), at(TRUNCATED_DAY, 301))


@pytest.mark.parametrize("day, problem", [(CORRUPT_DAY, "does not start with 'RIFF'"), (EMPTY_DAY, "only 0 bytes")])
def test_corrupt_header_raises_corrupt_wav_header_naming_the_file(archive, day, problem):
    with pytest.raises(CorruptWavHeader) as err:
        archive.read(at(day, 0), at(day, 1))
    assert str(err.value).startswith(archive.day_path(day)) and problem in str(err.value)


def test_garbage_chunk_size_is_corrupt_without_fetching_gigabytes(archive, root):
    day = dt.date(2019, 3, 13)
    fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, SR, SR * 3, 3, 24)
    archive_path(root, day).write_bytes(
        b"RIFF\xff\xff\xff\xffWAVE" + fmt + struct.pack("<4sI", b"LIST", 0xFFFF_FF00) + bytes(8_000)
    )
    with pytest.raises(CorruptWavHeader, match="a chunk size is garbage"):
        archive.layout(day)
    assert archive.bytes_read == AudioArchive.HEADER_PROBE


@pytest.mark.parametrize("day, what", [(RATE_8K_DAY, "8000 Hz"), (PCM16_DAY, "16-bit")])
def test_file_in_another_format_is_unsupported_not_unavailable(archive, day, what):
    name = rf"MARS-{day:%Y%m%d}T000000Z-16kHz.wav: the file is .*{what}.*expects 16000 Hz"
    with pytest.raises(UnsupportedAudioFormat, match=name):
        archive.read(at(day, 0), at(day, 0.5))
    with pytest.raises(UnsupportedAudioFormat, match=name):
        archive.available_samples(day)


def test_relative_root_is_made_absolute_at_construction(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert AudioArchive("archive").root == str(tmp_path / "archive")
    with pytest.raises(ValueError, match="unsupported archive root"):
        AudioArchive("https://example.org/archive")


# --- the same reads against an S3-protocol server on loopback --------------------------------


@pytest.fixture(scope="module")
def s3(root: Path):
    """A moto S3 server holding a short day, the missing-day gap and broken objects under a prefix."""
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            env.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            url = f"http://127.0.0.1:{server._server.server_port}"
            client = boto3.client("s3", endpoint_url=url)
            client.create_bucket(Bucket="whale-archive")
            for day in (SHORT_DAY, TRUNCATED_DAY, CORRUPT_DAY, EMPTY_DAY, BIG_HEADER_DAY):
                key = "mirror/" + archive_path("", day).as_posix()
                client.upload_file(str(archive_path(root, day)), "whale-archive", key)
            yield url
        finally:
            server.stop()


@pytest.fixture
def s3_archive(s3: str) -> AudioArchive:
    return AudioArchive("s3://whale-archive/mirror/", endpoint_url=s3)


def test_s3_read_returns_exactly_the_written_samples_with_exact_byte_counts(s3_archive):
    assert s3_archive.day_path(SHORT_DAY) == "s3://whale-archive/mirror/2019/03/MARS-20190303T000000Z-16kHz.wav"
    got = s3_archive.read(at(SHORT_DAY, 99), at(SHORT_DAY, 104))
    np.testing.assert_array_equal(got[SR : 4 * SR], quantised(SHORT))
    assert not got[:SR].any() and not got[4 * SR :].any()
    assert s3_archive.bytes_read == AudioArchive.HEADER_PROBE + 3 * 5 * SR


def test_s3_header_longer_than_the_first_read_is_completed(s3_archive):
    np.testing.assert_array_equal(s3_archive.read(at(BIG_HEADER_DAY, 0), at(BIG_HEADER_DAY, 3)), quantised(SHORT))


def test_s3_missing_day_and_range_past_the_end_are_audio_unavailable(s3_archive):
    assert s3_archive.has_day(SHORT_DAY) and not s3_archive.has_day(MISSING_DAY)
    with pytest.raises(AudioUnavailable, match="no archive file for 2019-03-04: s3://whale-archive/mirror/"):
        s3_archive.read(at(MISSING_DAY, 0), at(MISSING_DAY, 1))
    with pytest.raises(AudioUnavailable, match="too short"):
        s3_archive.read(at(SHORT_DAY, 599), at(SHORT_DAY, 601))
    with pytest.raises(AudioUnavailable, match="truncated"):  # S3 answers 416 past the object's end
        s3_archive.read(at(TRUNCATED_DAY, 300), at(TRUNCATED_DAY, 301))


@pytest.mark.parametrize("day, problem", [(CORRUPT_DAY, "does not start with 'RIFF'"), (EMPTY_DAY, "only 0 bytes")])
def test_s3_corrupt_header_raises_corrupt_wav_header_naming_the_object(s3_archive, day, problem):
    with pytest.raises(CorruptWavHeader, match=rf"^s3://whale-archive/mirror/{day:%Y/%m}/.*{problem}"):
        s3_archive.layout(day)


def test_s3_endpoint_can_come_from_the_aws_endpoint_url_s3_variable(s3, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3)
    archive = AudioArchive("s3://whale-archive/mirror")
    np.testing.assert_array_equal(archive.read(at(SHORT_DAY, 100), at(SHORT_DAY, 101)), quantised(SHORT[:SR]))


# --- what part of a window exists -----------------------------------------------------------


def test_a_window_the_archive_holds_whole_is_available_with_its_own_times(archive):
    start, end = at(FULL_DAY, 86_395), at(NEXT_DAY, 5)
    available = archive.available(start, end)
    assert available.complete and (available.start_utc, available.end_utc) == (start, end)
    assert available.n_samples == 10 * SR and available.missing == ()


def test_a_window_reaching_into_a_missing_day_keeps_the_part_in_the_day_that_exists(archive, root):
    write_day_file(archive_path(root, dt.date(2019, 3, 11)), [])
    available = archive.available(at(dt.date(2019, 3, 11), 86_340), at(dt.date(2019, 3, 12), 30))
    assert (available.start_utc, available.end_utc) == (at(dt.date(2019, 3, 11), 86_340), at(dt.date(2019, 3, 12), 0))
    assert available.n_samples == 60 * SR and available.requested_samples == 90 * SR
    assert not available.complete and "no archive file for 2019-03-12" in available.missing[0]


def test_a_window_starting_in_a_missing_day_keeps_the_next_days_head(archive):
    available = archive.available(at(dt.date(2019, 2, 28), 86_390), at(FULL_DAY, 20))
    assert (available.start_utc, available.end_utc) == (at(FULL_DAY, 0), at(FULL_DAY, 20))
    np.testing.assert_array_equal(archive.read(available.start_utc, available.end_utc)[: 20 * SR], np.zeros(20 * SR))


def test_a_window_past_the_end_of_a_short_or_truncated_file_keeps_what_the_file_holds(archive):
    short = archive.available(at(SHORT_DAY, 590), at(SHORT_DAY, 610))
    assert short.end_utc == at(SHORT_DAY, 600) and short.n_samples == 10 * SR
    assert "ends at 600 s" in short.missing[0]
    truncated = archive.available(at(TRUNCATED_DAY, 0), at(TRUNCATED_DAY, 60))
    held = (1_000_000 - archive.layout(TRUNCATED_DAY).data_offset) // 3
    assert truncated.n_samples == held and "is truncated" in truncated.missing[0]
    assert archive.read(truncated.start_utc, truncated.end_utc).size == held


def test_a_window_on_a_missing_day_has_no_available_audio(archive):
    available = archive.available(at(MISSING_DAY, 60), at(MISSING_DAY, 120))
    assert available.start_utc is None and available.n_samples == 0
    assert "no archive file for 2019-03-04" in available.missing[0]
