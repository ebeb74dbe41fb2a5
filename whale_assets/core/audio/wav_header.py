"""Where the samples of a PCM WAV file lie, from the first bytes of the file.

The archive's day files carry a LIST chunk (and could carry others) before `data`, so the data
offset is not a constant: walk the RIFF chunks to find it. Knowing it, any sample range of the
file is a single byte range, `data_offset + bytes_per_frame * sample_index`.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

WAVE_FORMAT_PCM = 0x0001
WAVE_FORMAT_EXTENSIBLE = 0xFFFE
# The 14 bytes after the 2-byte format code in a KSDATAFORMAT_SUBTYPE_* GUID.
_KSDATAFORMAT_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
_FORMAT_NAMES = {0x0003: "IEEE float", 0x0006: "A-law", 0x0007: "mu-law", 0x0055: "MP3"}
_ADVICE = "Check that it is a complete, uncompressed PCM WAV file; re-fetch it if it was truncated."


class CorruptWavHeader(ValueError):
    """The header is not a usable PCM WAV header; the message names the file."""

    def __init__(self, name: str, problem: str, advice: str = _ADVICE) -> None:
        super().__init__(f"{name}: {problem}. {advice}")
        self.name = name
        self.problem = problem


class HeaderTooShort(ValueError):
    """`head` ends before the `data` chunk header: fetch at least `needed` bytes and retry."""

    def __init__(self, name: str, needed: int, have: int) -> None:
        super().__init__(f"{name}: the WAV header needs at least {needed} bytes, only {have} given")
        self.name = name
        self.needed = needed
        self.have = have


@dataclass(frozen=True)
class WavLayout:
    """Format of a PCM WAV file and where its data chunk lies (byte offsets from file start)."""

    sample_rate: int
    channels: int
    bits_per_sample: int
    data_offset: int
    data_size: int

    @property
    def bytes_per_frame(self) -> int:
        return self.channels * self.bits_per_sample // 8

    @property
    def n_samples(self) -> int:
        """Whole frames in the data chunk (a trailing partial frame is ignored)."""
        return self.data_size // self.bytes_per_frame

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sample_rate

    def byte_range(self, first_sample: int, n_samples: int) -> tuple[int, int]:
        """Half-open byte range `[start, end)` of frames `[first_sample, first_sample + n_samples)`."""
        if first_sample < 0 or n_samples < 0:
            raise ValueError(f"negative sample range: first_sample={first_sample}, n_samples={n_samples}")
        if first_sample + n_samples > self.n_samples:
            raise ValueError(
                f"samples [{first_sample}, {first_sample + n_samples}) run past the end of the data "
                f"({self.n_samples} samples, {self.duration_s:g} s at {self.sample_rate} Hz)"
            )
        start = self.data_offset + first_sample * self.bytes_per_frame
        return start, start + n_samples * self.bytes_per_frame


def parse_wav_header(head: bytes, name: str) -> WavLayout:
    """Parse the RIFF header at the start of a WAV file, up to and including the data chunk header.

    `head` is the first bytes of the file (any number); `name` is only used in error messages.
    Raises `HeaderTooShort` when `head` ends before the data chunk header (fetch `needed` bytes
    and call again) and `CorruptWavHeader` when the bytes are not a PCM WAV header.
    """
    head = bytes(head)
    if len(head) < 12 and b"RIFF".startswith(head[:4]):
        raise HeaderTooShort(name, 12, len(head))
    riff, _, wave = struct.unpack_from("<4sI4s", head.ljust(12, b"\0"))
    if riff != b"RIFF":
        what = {b"RIFX": "big-endian RIFX", b"RF64": "RF64 (64-bit sizes)"}.get(riff)
        problem = f"{what} files are not supported" if what else f"does not start with 'RIFF' (starts with {riff!r})"
        raise CorruptWavHeader(name, problem)
    if wave != b"WAVE":
        raise CorruptWavHeader(name, f"RIFF form type is {wave!r}, not 'WAVE'")

    fmt: tuple[int, int, int] | None = None
    pos = 12
    while True:
        if len(head) < pos + 8:
            raise HeaderTooShort(name, pos + 8, len(head))
        chunk_id, size = struct.unpack_from("<4sI", head, pos)
        if not all(32 <= c < 127 for c in chunk_id):
            raise CorruptWavHeader(name, f"chunk id at byte {pos} is not ASCII ({chunk_id!r}): garbage in the header")
        body = pos + 8
        if chunk_id == b"data":
            if fmt is None:
                raise CorruptWavHeader(name, "'data' chunk comes before any 'fmt ' chunk")
            return WavLayout(*fmt, data_offset=body, data_size=size)
        if chunk_id == b"fmt ":
            if len(head) < body + size:
                raise HeaderTooShort(name, body + size, len(head))
            fmt = _parse_fmt(head[body : body + size], name)
        # Chunks are word-aligned: an odd-sized chunk is followed by one pad byte.
        pos = body + size + (size & 1)


def _parse_fmt(chunk: bytes, name: str) -> tuple[int, int, int]:
    """(sample_rate, channels, bits_per_sample) of an integer-PCM 'fmt ' chunk."""
    if len(chunk) < 16:
        raise CorruptWavHeader(name, f"'fmt ' chunk is {len(chunk)} bytes, at least 16 expected")
    # byte_rate is redundant (and some writers get it wrong), so it is not checked.
    tag, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", chunk)
    if tag == WAVE_FORMAT_EXTENSIBLE:
        if len(chunk) < 40:
            raise CorruptWavHeader(name, f"WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is {len(chunk)} bytes, 40 expected")
        sub_tag, guid_tail = struct.unpack_from("<H14s", chunk, 24)
        if guid_tail != _KSDATAFORMAT_GUID_TAIL:
            raise CorruptWavHeader(
                name, f"WAVE_FORMAT_EXTENSIBLE sub-format GUID is not a known one ({chunk[24:40].hex()})"
            )
        tag = sub_tag
    if tag != WAVE_FORMAT_PCM:
        kind = _FORMAT_NAMES.get(tag, "unknown")
        raise CorruptWavHeader(
            name,
            f"audio format is {tag:#06x} ({kind}); only integer PCM is supported",
            "Convert the file to integer PCM (e.g. 24-bit) to use it.",
        )
    if channels < 1 or rate < 1:
        raise CorruptWavHeader(name, f"'fmt ' chunk says {channels} channels at {rate} Hz")
    if bits < 8 or bits % 8:
        raise CorruptWavHeader(name, f"{bits} bits per sample is not a whole number of bytes")
    if block_align != channels * bits // 8:
        raise CorruptWavHeader(
            name,
            f"block align is {block_align}, but {channels} channel(s) of {bits}-bit samples need {channels * bits // 8}",
        )
    return rate, channels, bits
