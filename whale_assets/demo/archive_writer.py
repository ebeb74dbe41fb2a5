"""Write stand-in day files in the MBARI Pacific Sound 16 kHz format, sparsely.

A real day file is 86 400 s of mono 24-bit PCM (4 147 200 000 data bytes) after a 332-byte header
with a LIST chunk. Tests, the offline demo and benchmarks need files of that exact shape without 4 GB
of disk each: only the given segments are written, the rest of the data chunk is a file-system
hole that reads as zeros.
"""

from __future__ import annotations

import datetime as dt
import os
import struct
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from whale_assets.core.audio.pcm import float32_to_pcm24
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE, DAY_SECONDS, day_file_key

_BITS = 24
_BYTES = _BITS // 8


def archive_path(root: str | os.PathLike[str], day: dt.date) -> Path:
    """Where a UTC day's file lives under a local archive root."""
    return Path(root) / day_file_key(day)


LIST_CHUNK_SIZE = 280  # the archive's LIST chunk body, making its header 332 bytes in all
HEADER_BYTES = 332


def _info_list_chunk(name: str) -> bytes:
    """A LIST/INFO chunk shaped like the archive's: INAM and ICMT text, 280 bytes of body.

    Its size is why readers must parse the data offset; the comment is NUL-padded to that size.
    """
    inam = name.encode("ascii") + b"\0"  # INFO strings are NUL-terminated, then padded to even.
    inam += b"\0" * (len(inam) & 1)
    head = b"INFO" + struct.pack("<4sI", b"INAM", len(inam)) + inam
    icmt_size = LIST_CHUNK_SIZE - len(head) - 8
    comment = b"whale_assets stand-in for MBARI MARS 16 kHz 24-bit data"
    if icmt_size < len(comment) + 1:
        raise ValueError(f"INAM {name!r} is too long for a {LIST_CHUNK_SIZE}-byte LIST chunk")
    body = head + struct.pack("<4sI", b"ICMT", icmt_size) + comment.ljust(icmt_size, b"\0")
    return struct.pack("<4sI", b"LIST", len(body)) + body


def _header(n_samples: int, sample_rate: int, extra_chunks: bool, name: str) -> bytes:
    data_size = n_samples * _BYTES
    fmt = struct.pack("<HHIIHH", 1, 1, sample_rate, sample_rate * _BYTES, _BYTES, _BITS)
    chunks = struct.pack("<4sI", b"fmt ", len(fmt)) + fmt
    if extra_chunks:
        chunks += _info_list_chunk(name)
    riff_size = 4 + len(chunks) + 8 + data_size + (data_size & 1)
    if riff_size > 0xFFFF_FFFF:
        raise ValueError(f"{n_samples} samples do not fit a RIFF file (4 GiB limit)")
    return struct.pack("<4sI4s", b"RIFF", riff_size, b"WAVE") + chunks + struct.pack("<4sI", b"data", data_size)


def stream_segment(
    offset_s: float, pieces: Iterable[np.ndarray], sample_rate: int = ARCHIVE_SAMPLE_RATE
) -> Iterator[tuple[float, np.ndarray]]:
    """Consecutive pieces of one long segment starting at `offset_s`, as `write_day_file` segments.

    Pieces are consumed one at a time, so hours can be written without holding them in memory.
    """
    first = round(offset_s * sample_rate)
    for piece in pieces:
        yield first / sample_rate, piece
        first += np.asarray(piece).size


def write_day_file(
    path: str | os.PathLike[str],
    segments: Iterable[tuple[float, np.ndarray]],
    duration_s: float = DAY_SECONDS,
    sample_rate: int = ARCHIVE_SAMPLE_RATE,
    extra_chunks: bool = True,
    name: str | None = None,
) -> None:
    """Write a sparse mono 24-bit PCM WAV whose data chunk spans `duration_s`.

    `segments` are (offset seconds from the file start, float32 samples at full scale 1.0);
    offsets are rounded to the nearest sample, later segments overwrite earlier ones, and
    everything not covered reads as zeros. `segments` may be a lazy iterator (see
    `stream_segment`); each is written as it comes. The header is the archive's 332 bytes, with
    INAM `name` (default: the file name); `extra_chunks=False` leaves out the LIST chunk.
    The file appears atomically (temp file + rename).
    """
    path = Path(path)
    n_samples = round(duration_s * sample_rate)
    header = _header(n_samples, sample_rate, extra_chunks, path.name if name is None else name)
    file_size = len(header) + n_samples * _BYTES + (n_samples * _BYTES & 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            for offset_s, samples in segments:
                samples = np.asarray(samples, dtype=np.float32).reshape(-1)
                first = round(offset_s * sample_rate)
                if first < 0 or first + samples.size > n_samples:
                    raise ValueError(
                        f"segment at {offset_s} s with {samples.size} samples falls outside the "
                        f"file's {duration_s} s ({n_samples} samples)"
                    )
                f.seek(len(header) + first * _BYTES)
                f.write(float32_to_pcm24(samples))
            # Extending by truncate leaves a hole rather than writing zeros.
            f.truncate(file_size)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
