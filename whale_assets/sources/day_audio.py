"""Whole-day access to one archive day file: how many samples it really has, and sample ranges."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from fsspec.implementations.local import LocalFileSystem

from whale_assets.core.utc import NS_PER_S
from whale_assets.core.audio.pcm import decode_pcm
from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable



def available_samples(archive: AudioArchive, day: dt.date) -> tuple[int, str | None]:
    """Samples of the day's file that can be read, and why that is fewer than its header says (or None).

    Raises `AudioUnavailable` when there is no file; a truncated file counts up to its last
    whole sample, so the part that exists can still be scored.
    """
    layout = archive.layout(day)
    declared = layout.n_samples
    try:
        size = int(archive.fs.size(archive.day_path(day)))
    except (FileNotFoundError, OSError):
        return declared, None
    present = max(0, (size - layout.data_offset) // layout.bytes_per_frame)
    if present < declared:
        return present, (
            f"{archive.day_path(day)} is truncated: its header promises {declared} samples, the file holds {present}"
        )
    return declared, None


def read_samples(archive: AudioArchive, day: dt.date, first: int, stop: int) -> np.ndarray:
    """float32 samples [first, stop) of the day's file (exact: one byte-range read).

    A local archive is read straight into a numpy buffer: an hour is ~170 MB, and fresh `bytes`
    objects of that size cost more in page faults than the read itself. Other stores go through
    `AudioArchive.read` (one HTTP range request).
    """
    if not isinstance(archive.fs, LocalFileSystem):
        return _read_through_archive(archive, day, first, stop)
    layout = archive.layout(day)
    have = (layout.sample_rate, layout.channels, layout.bits_per_sample)
    want = (archive.sample_rate, archive.channels, archive.bits_per_sample)
    if have != want:
        raise AudioUnavailable(f"{archive.day_path(day)} is {have}, the archive reader expects {want} (Hz, channels, bits)")
    path = archive.day_path(day)
    try:
        start, end = layout.byte_range(first, stop - first)
    except ValueError as err:
        raise AudioUnavailable(f"{path} is too short for samples [{first}, {stop}): {err}") from None
    raw = np.empty(end - start, dtype=np.uint8)
    with open(path, "rb") as stream:
        stream.seek(start)
        got = stream.readinto(memoryview(raw))
    if got != raw.size:
        raise AudioUnavailable(f"{path} is truncated: bytes {start}..{end} returned only {got}")
    return _decode_skipping_zeros(raw, layout.bytes_per_frame)


def _decode_skipping_zeros(raw: np.ndarray, width: int, block: int = 1600) -> np.ndarray:
    """`decode_pcm`, but all-zero blocks of `block` samples are left as zeros instead of decoded.

    Sparse or zero-filled files (gaps) then cost almost nothing; a normal hour is one run of
    non-zero blocks and is decoded in one call, as before.
    """
    n = raw.size // width
    out = np.zeros(n, dtype=np.float32)
    n_full = n // block
    nonzero = np.empty(-(-n // block), dtype=bool)
    nonzero[:n_full] = raw[: n_full * block * width].reshape(n_full, block * width).any(axis=1)
    if n % block:
        nonzero[-1] = raw[n_full * block * width :].any()
    edges = np.flatnonzero(np.diff(np.concatenate(([False], nonzero, [False])).astype(np.int8)))
    for b0, b1 in zip(edges[::2], edges[1::2]):
        first, stop = b0 * block, min(n, b1 * block)
        out[first:stop] = decode_pcm(raw[first * width : stop * width], width * 8)
    return out


def _read_through_archive(archive: AudioArchive, day: dt.date, first: int, stop: int) -> np.ndarray:
    rate = archive.sample_rate
    if (first * NS_PER_S) % rate or (stop * NS_PER_S) % rate:
        raise ValueError(f"sample {first} or {stop} at {rate} Hz is not a whole nanosecond")
    start = pd.Timestamp(day, tz="UTC")
    audio = archive.read(
        start + pd.Timedelta(first * NS_PER_S // rate, "ns"), start + pd.Timedelta(stop * NS_PER_S // rate, "ns")
    )
    if audio.size != stop - first:
        raise AudioUnavailable(f"read {audio.size} samples of {archive.day_path(day)} for [{first}, {stop})")
    return audio


__all__ = ["AudioUnavailable", "available_samples", "read_samples"]
