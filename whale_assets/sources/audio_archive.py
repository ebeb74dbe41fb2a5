"""Exact sample ranges from the daily 16 kHz archive, by byte-range reads.

Each day file's header is read once (a few KB); after that any window costs one range request
per day file it touches, for exactly the bytes of its samples. Whole-day scoring reads by sample
index within one day file (`available_samples`, `read_samples`). The archive is a local directory
in the archive layout or an S3 bucket (the public MBARI one, or any S3-compatible server).
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import fsspec
import numpy as np
import pandas as pd
from fsspec.implementations.local import LocalFileSystem

from whale_assets.core.audio.day_slices import DaySlice, longest_available_run, sample_time, split_by_day
from whale_assets.core.audio.pcm import decode_pcm
from whale_assets.core.audio.wav_header import (
    CorruptWavHeader,
    HeaderTooShort,
    WavLayout,
    parse_wav_header,
)
from whale_assets.core.hydrophone import (
    ARCHIVE_SAMPLE_RATE,
    FIRST_RECORDING_DAY,
    PUBLIC_ARCHIVE,
    day_file_key,
)
from whale_assets.core.scoring.day_scoring import GAP_BLOCK_SAMPLES, runs, silent_blocks
from whale_assets.core.utc import NS_PER_S
from whale_assets.io_rules.network import bounded_s3fs, network_timeouts_from_env, s3fs_options

__all__ = [
    "AudioArchive",
    "AudioPieces",
    "AvailableAudio",
    "AudioUnavailable",
    "CorruptWavHeader",
    "UnsupportedAudioFormat",
]

# Long windows are read in pieces of this many samples: 10 minutes is 38 MB of float32 (and
# 29 MB of PCM) in memory at a time, however long the window.
PIECE_SAMPLES = 10 * 60 * ARCHIVE_SAMPLE_RATE


T = TypeVar("T")


class AudioUnavailable(Exception):
    """The archive has no audio for a window (missing day, before recording began, too short)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AudioPieces:
    """A window's float32 samples as consecutive pieces; `n_samples` in all, known before any is read."""

    n_samples: int
    pieces: Iterator[np.ndarray]


@dataclass(frozen=True)
class AvailableAudio:
    """The part of a requested window the archive holds: its longest unbroken stretch.

    `start_utc`/`end_utc` are None when the archive has no sample of the window; `missing` says
    why each absent part is absent (a missing day file, a truncated one).
    """

    requested_samples: int
    start_utc: pd.Timestamp | None
    end_utc: pd.Timestamp | None
    n_samples: int
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return self.n_samples == self.requested_samples


class UnsupportedAudioFormat(CorruptWavHeader):
    """A valid WAV file in a format the archive never uses (16-bit, stereo, 48 kHz, ...).

    A `CorruptWavHeader`: the file will not change by retrying, so the step fails permanently
    instead of recording the window as `no_audio` and going green.
    """


class AudioArchive:
    """Reads exact sample windows from one-file-per-UTC-day mono 24-bit PCM archives."""

    sample_rate = ARCHIVE_SAMPLE_RATE
    channels = 1
    bits_per_sample = 24
    HEADER_PROBE = 4096  # first header read; the archive's real header is ~332 bytes
    MAX_HEADER = 1 << 20  # a bigger "header" means a garbage chunk size, not a real WAV

    def __init__(
        self, root: str | os.PathLike[str], endpoint_url: str | None = None, anonymous: bool | None = None
    ) -> None:
        root = os.fspath(root)
        if root.startswith("s3://"):
            self.root = root.rstrip("/")
            public = self.root == PUBLIC_ARCHIVE or self.root.startswith(PUBLIC_ARCHIVE + "/")
            # The public bucket takes unsigned requests; anything else uses the credential chain.
            # Own client per archive: fsspec's shared instances would outlive changes of the
            # endpoint or credentials in the environment (AWS_ENDPOINT_URL_S3, AWS_PROFILE, ...).
            options: dict = {"anon": public if anonymous is None else anonymous, "skip_instance_cache": True}
            if endpoint_url:
                options["endpoint_url"] = endpoint_url
            elif public:
                options["client_kwargs"] = {"region_name": "us-west-2"}
            # Bounded in time: a silent endpoint fails the read instead of holding the run.
            options.update(s3fs_options(network_timeouts_from_env()))
            self.fs = bounded_s3fs(fsspec.filesystem("s3", **options))
        elif "://" in root:
            raise ValueError(f"unsupported archive root {root!r}: use a local directory or s3://bucket[/prefix]")
        else:
            # Absolute now, so the archive doesn't depend on where the caller later runs from.
            self.root = str(Path(root).expanduser().resolve())
            self.fs = fsspec.filesystem("file")
        self._layouts: dict[dt.date, WavLayout] = {}
        self._lock = threading.Lock()
        self._bytes_read = 0

    def __repr__(self) -> str:
        return f"AudioArchive({self.root!r})"

    @property
    def bytes_read(self) -> int:
        """Payload bytes fetched so far (headers and samples)."""
        return self._bytes_read

    def day_path(self, day: dt.date) -> str:
        return f"{self.root}/{day_file_key(day)}"

    def has_day(self, day: dt.date) -> bool:
        return day >= FIRST_RECORDING_DAY and self.fs.exists(self.day_path(day))

    def layout(self, day: dt.date) -> WavLayout:
        """The parsed header of a day's file (cached). Raises AudioUnavailable if there is no file."""
        cached = self._layouts.get(day)
        if cached is not None:
            return cached
        path = self.day_path(day)
        if day < FIRST_RECORDING_DAY:  # known without asking the store
            raise AudioUnavailable(f"no audio for {day:%Y-%m-%d}: the archive begins on {FIRST_RECORDING_DAY:%Y-%m-%d}")
        asked = self.HEADER_PROBE
        head = self._fetch(path, 0, asked, day)
        while True:
            try:
                layout = parse_wav_header(head, path)
                break
            except HeaderTooShort as short:
                if len(head) < asked:
                    raise CorruptWavHeader(
                        path, f"the file is only {len(head)} bytes and ends inside its header"
                    ) from None
                if short.needed > self.MAX_HEADER:
                    raise CorruptWavHeader(
                        path, f"its data chunk would start past byte {self.MAX_HEADER}: a chunk size is garbage"
                    ) from None
                # Grow geometrically so a header of many chunks still costs few requests.
                asked = max(short.needed, 2 * len(head))
                head += self._fetch(path, len(head), asked, day)
        with self._lock:
            self._layouts[day] = layout
        return layout

    def available(self, start_utc: pd.Timestamp, end_utc: pd.Timestamp) -> AvailableAudio:
        """Which part of [start_utc, end_utc) can be read: a missing or short day file loses only its part.

        One header read (cached) and one size request per day file; a file that is not the
        archive's format still raises (`CorruptWavHeader`), as `read` does.
        """
        slices = split_by_day(start_utc, end_utc, self.sample_rate)
        present: dict[dt.date, int] = {}
        missing: list[str] = []
        for piece in slices:
            try:
                present[piece.day], short = self.available_samples(piece.day)
            except AudioUnavailable as absent:
                present[piece.day], short = 0, absent.reason
            if present[piece.day] < piece.stop_sample:
                missing.append(
                    short or f"{self.day_path(piece.day)} ends at {present[piece.day] / self.sample_rate:g} s"
                )
        requested = sum(piece.n_samples for piece in slices)
        run = longest_available_run(slices, present, self.sample_rate)
        if run is None:
            return AvailableAudio(requested, None, None, 0, tuple(missing))
        first, stop = run
        if stop - first == requested:  # all there: keep the window's own times
            return AvailableAudio(requested, start_utc, end_utc, requested, ())
        start, end = sample_time(first, self.sample_rate), sample_time(stop, self.sample_rate)
        return AvailableAudio(requested, start, end, stop - first, tuple(missing))

    def read(self, start_utc: pd.Timestamp, end_utc: pd.Timestamp) -> np.ndarray:
        """float32 samples of [start_utc, end_utc) (see `core.audio.day_slices` for the sample convention)."""
        plan = []
        for piece in split_by_day(start_utc, end_utc, self.sample_rate):
            path, layout = self.day_path(piece.day), self._checked_layout(piece.day)
            try:
                start, end = layout.byte_range(piece.first_sample, piece.n_samples)
            except ValueError as err:
                raise AudioUnavailable(
                    f"{path} ({piece.day}) is too short for the window {start_utc} .. {end_utc}: {err}"
                ) from None
            plan.append((piece.day, path, layout, start, end))
        # All headers are checked before any sample bytes are fetched.
        parts = []
        for day, path, layout, start, end in plan:
            raw = self._fetch(path, start, end, day)
            if len(raw) != end - start:
                raise AudioUnavailable(
                    f"{path} is truncated: its header promises {layout.data_size} data bytes, "
                    f"but bytes {start}..{end} returned only {len(raw)}"
                )
            parts.append(decode_pcm(raw, layout.bits_per_sample))
        if not parts:
            return np.zeros(0, dtype=np.float32)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def read_pieces(
        self, start_utc: pd.Timestamp, end_utc: pd.Timestamp, piece_samples: int = PIECE_SAMPLES
    ) -> AudioPieces:
        """The samples `read` returns, as pieces of at most `piece_samples`, so memory stays bounded.

        Every header and every file's size are checked before this returns, so a window the
        archive cannot serve raises `AudioUnavailable` here, not half-way through its pieces.
        """
        plan: list[tuple[DaySlice, str, WavLayout]] = []
        for piece in split_by_day(start_utc, end_utc, self.sample_rate):
            path, layout = self.day_path(piece.day), self._checked_layout(piece.day)
            try:
                _, end = layout.byte_range(piece.first_sample, piece.n_samples)
            except ValueError as err:
                raise AudioUnavailable(
                    f"{path} ({piece.day}) is too short for the window {start_utc} .. {end_utc}: {err}"
                ) from None
            try:
                size = int(self.fs.size(path))
            except FileNotFoundError:
                raise AudioUnavailable(f"no archive file for {piece.day:%Y-%m-%d}: {path} does not exist") from None
            if size < end:
                raise AudioUnavailable(
                    f"{path} is truncated: its header promises {layout.data_size} data bytes, the file has {size} bytes"
                )
            plan.append((piece, path, layout))
        return AudioPieces(sum(piece.n_samples for piece, _, _ in plan), self._pieces(plan, piece_samples))

    def _pieces(self, plan: list[tuple[DaySlice, str, WavLayout]], piece_samples: int) -> Iterator[np.ndarray]:
        for piece, path, layout in plan:
            for first in range(piece.first_sample, piece.stop_sample, piece_samples):
                start, end = layout.byte_range(first, min(piece_samples, piece.stop_sample - first))
                raw = self._fetch(path, start, end, piece.day)
                if len(raw) != end - start:
                    raise AudioUnavailable(f"{path} is truncated: bytes {start}..{end} returned only {len(raw)}")
                yield decode_pcm(raw, layout.bits_per_sample)
                del raw

    def available_samples(self, day: dt.date) -> tuple[int, str | None]:
        """Samples of the day's file that can be read, and why that is fewer than its header says (or None).

        Raises `AudioUnavailable` when there is no file, `UnsupportedAudioFormat` when it is not
        the archive's format; a truncated file counts up to its last
        whole sample, so the part that exists can still be scored.
        """
        layout = self._checked_layout(day)
        declared = layout.n_samples
        path = self.day_path(day)
        try:
            size = int(self.fs.size(path))
        except OSError:  # FileNotFoundError included: the header was just read, so trust it
            return declared, None
        present = max(0, (size - layout.data_offset) // layout.bytes_per_frame)
        if present < declared:
            return present, f"{path} is truncated: its header promises {declared} samples, the file holds {present}"
        return declared, None

    def read_samples(self, day: dt.date, first: int, stop: int) -> np.ndarray:
        """float32 samples [first, stop) of the day's file (exact: one byte-range read).

        A local archive is read straight into a numpy buffer, and its digital silence is left
        undecoded: an hour is ~170 MB, and fresh `bytes` objects of that size cost more in page
        faults than the read itself. Other stores go through `read` (one HTTP range request).
        """
        if not isinstance(self.fs, LocalFileSystem):
            return self._read_samples_by_time(day, first, stop)
        path, layout = self.day_path(day), self._checked_layout(day)
        try:
            start, end = layout.byte_range(first, stop - first)
        except ValueError as err:
            raise AudioUnavailable(f"{path} is too short for samples [{first}, {stop}): {err}") from None
        raw = np.empty(end - start, dtype=np.uint8)

        def read_into() -> int:
            with open(path, "rb") as stream:
                stream.seek(start)
                return stream.readinto(raw.data)

        got = _bounded_local_read(path, read_into)
        with self._lock:
            self._bytes_read += got
        if got != raw.size:
            raise AudioUnavailable(f"{path} is truncated: bytes {start}..{end} returned only {got}")
        return _decode_skipping_silence(raw, layout.bytes_per_frame)

    def _read_samples_by_time(self, day: dt.date, first: int, stop: int) -> np.ndarray:
        rate = self.sample_rate
        if (first * NS_PER_S) % rate or (stop * NS_PER_S) % rate:
            raise ValueError(f"sample {first} or {stop} at {rate} Hz is not a whole nanosecond")
        start = pd.Timestamp(day, tz="UTC")
        audio = self.read(
            start + pd.Timedelta(first * NS_PER_S // rate, "ns"), start + pd.Timedelta(stop * NS_PER_S // rate, "ns")
        )
        if audio.size != stop - first:
            raise AudioUnavailable(f"read {audio.size} samples of {self.day_path(day)} for [{first}, {stop})")
        return audio

    def _checked_layout(self, day: dt.date) -> WavLayout:
        layout = self.layout(day)
        want = (self.sample_rate, self.channels, self.bits_per_sample)
        have = (layout.sample_rate, layout.channels, layout.bits_per_sample)
        if have != want:
            raise UnsupportedAudioFormat(
                self.day_path(day),
                f"the file is {have[0]} Hz, {have[1]} channel(s), {have[2]}-bit PCM; "
                f"the archive reader expects {want[0]} Hz, {want[1]} channel(s), {want[2]}-bit",
                "Replace it with the archive's format or remove it.",
            )
        return layout

    def _fetch(self, path: str, start: int, end: int, day: dt.date) -> bytes:
        """Bytes [start, end) of a file in one range request (fewer if the file ends first)."""
        try:
            if isinstance(self.fs, LocalFileSystem):
                data = _bounded_local_read(path, lambda: self.fs.cat_file(path, start=start, end=end))
            else:
                data = self.fs.cat_file(path, start=start, end=end)
        except FileNotFoundError:
            raise AudioUnavailable(f"no archive file for {day:%Y-%m-%d}: {path} does not exist") from None
        except OSError as err:
            # S3 answers a range starting at or past the end of the object with 416, which s3fs
            # raises as EINVAL; a local file just returns fewer bytes. Treat both the same way.
            if err.errno != errno.EINVAL or "range" not in str(err).lower():
                raise
            data = b""
        with self._lock:
            self._bytes_read += len(data)
        return data


def _bounded_local_read(path: str, read: Callable[[], T]) -> T:
    """`read()` of a local day file, refused at once for what is not a regular file (a FIFO, a
    device) and given up after WHALE_READ_TIMEOUT_S when the file delivers no bytes (a hung mount).

    The read runs in a daemon thread: a blocked `open` or `read` cannot be interrupted, but the
    step need not wait for it.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                raise UnsupportedAudioFormat(
                    path, "it is a directory, not the day's WAV file", "Replace it with the day's WAV file."
                )
            if not stat.S_ISREG(mode):
                raise UnsupportedAudioFormat(
                    path,
                    "it is not a regular file (a FIFO, socket or device): reading it may never end",
                    "Replace it with the day's WAV file or remove it.",
                )
            outcome["value"] = read()
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    timeout_s = network_timeouts_from_env().read_s
    worker = threading.Thread(target=run, name=f"read {path}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise TimeoutError(f"{path} delivered no bytes in {timeout_s:g} s (WHALE_READ_TIMEOUT_S): a hung mount?")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _decode_skipping_silence(raw: np.ndarray, width: int) -> np.ndarray:
    """`decode_pcm` of the stretches that are not digital silence; silent blocks stay zeros.

    Sparse or zero-filled files (gaps) then cost almost nothing; a normal hour is one stretch
    and is decoded in one call. Silence is the scoring's own rule (`silent_blocks`).
    """
    n = raw.size // width
    out = np.zeros(n, dtype=np.float32)
    for b0, b1 in runs(~silent_blocks(raw[: n * width].reshape(n, width))):
        first, stop = b0 * GAP_BLOCK_SAMPLES, min(n, b1 * GAP_BLOCK_SAMPLES)
        out[first:stop] = decode_pcm(raw[first * width : stop * width], width * 8)
    return out
