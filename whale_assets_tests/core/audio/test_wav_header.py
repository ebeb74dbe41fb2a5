"""WAV header parsing: data offset behind arbitrary chunks, byte ranges, and clear errors."""

from __future__ import annotations

import struct

import pytest

from whale_assets.core.audio.wav_header import CorruptWavHeader, HeaderTooShort, WavLayout, parse_wav_header

NAME = "2019/03/MARS-20190301T000000Z-16kHz.wav"
PCM_GUID_TAIL = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"


def chunk(chunk_id: bytes, body: bytes) -> bytes:
    """A RIFF chunk with its pad byte when the body is odd-sized."""
    return struct.pack("<4sI", chunk_id, len(body)) + body + b"\0" * (len(body) & 1)


def fmt_pcm(rate: int = 16_000, channels: int = 1, bits: int = 24, tag: int = 1) -> bytes:
    align = channels * bits // 8
    return chunk(b"fmt ", struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits))


def fmt_extensible(sub_tag: int = 1, rate: int = 16_000, channels: int = 1, bits: int = 24) -> bytes:
    align = channels * bits // 8
    body = struct.pack("<HHIIHHHHI", 0xFFFE, channels, rate, rate * align, align, bits, 22, bits, 0x4)
    return chunk(b"fmt ", body + struct.pack("<H", sub_tag) + PCM_GUID_TAIL)


def wav(*chunks: bytes, data_size: int = 4_147_200_000) -> bytes:
    """Header bytes up to and including the data chunk header (no sample bytes)."""
    body = b"WAVE" + b"".join(chunks) + struct.pack("<4sI", b"data", data_size)
    return struct.pack("<4sI", b"RIFF", len(body) - 8 + data_size) + body


def test_plain_pcm_header_has_data_at_byte_44():
    layout = parse_wav_header(wav(fmt_pcm()), NAME)
    assert layout == WavLayout(16_000, 1, 24, data_offset=44, data_size=4_147_200_000)
    assert layout.bytes_per_frame == 3
    assert layout.n_samples == 86_400 * 16_000


def test_data_offset_skips_list_and_odd_sized_chunk_with_its_pad_byte():
    info = b"INFO" + chunk(b"ICMT", b"MARS hydrophone\0")
    odd = chunk(b"junk", b"abc")  # 3-byte body + 1 pad byte
    head = wav(fmt_pcm(), chunk(b"LIST", info), odd, chunk(b"fact", struct.pack("<I", 5)))
    layout = parse_wav_header(head + b"\x01\x02\x03", NAME)  # sample bytes after the header are ignored
    assert layout.data_offset == len(head)
    assert layout.data_offset == 12 + 24 + (8 + len(info)) + (8 + 4) + (8 + 4) + 8


def test_chunks_before_fmt_are_skipped_too():
    head = wav(chunk(b"LIST", b"INFO"), chunk(b"bext", b"x" * 7), fmt_pcm(rate=2_000))
    layout = parse_wav_header(head, NAME)
    assert (layout.sample_rate, layout.data_offset) == (2_000, len(head))


def test_extensible_format_with_pcm_subformat_is_accepted():
    layout = parse_wav_header(wav(fmt_extensible(channels=2, bits=16)), NAME)
    assert (layout.channels, layout.bits_per_sample, layout.bytes_per_frame) == (2, 16, 4)
    assert layout.data_offset == 12 + 8 + 40 + 8


def test_extensible_format_with_float_subformat_is_rejected_naming_the_file():
    with pytest.raises(CorruptWavHeader, match=rf"{NAME}.*0x0003 \(IEEE float\).*integer PCM"):
        parse_wav_header(wav(fmt_extensible(sub_tag=3, bits=32)), NAME)


def test_float_format_is_rejected():
    with pytest.raises(CorruptWavHeader, match="IEEE float"):
        parse_wav_header(wav(fmt_pcm(tag=3, bits=32)), NAME)


def test_byte_range_is_half_open_from_data_offset():
    layout = WavLayout(16_000, 1, 24, data_offset=332, data_size=4_147_200_000)
    assert layout.byte_range(0, 1) == (332, 335)
    assert layout.byte_range(16_000 * 3600, 16_000) == (332 + 3 * 57_600_000, 332 + 3 * 57_616_000)
    last = layout.n_samples - 10
    assert layout.byte_range(last, 10) == (332 + 3 * last, 332 + 4_147_200_000)
    assert layout.byte_range(5, 0) == (347, 347)


def test_byte_range_past_the_end_or_negative_raises_value_error():
    layout = WavLayout(16_000, 1, 24, data_offset=44, data_size=3 * 16_000)
    with pytest.raises(ValueError, match="past the end.*16000 samples"):
        layout.byte_range(15_999, 2)
    with pytest.raises(ValueError, match="negative"):
        layout.byte_range(-1, 1)


def test_trailing_partial_frame_is_not_a_sample():
    assert WavLayout(16_000, 1, 24, data_offset=44, data_size=3 * 10 + 2).n_samples == 10


@pytest.mark.parametrize("keep", [0, 4, 11])
def test_head_shorter_than_riff_header_asks_for_12_bytes(keep):
    with pytest.raises(HeaderTooShort) as err:
        parse_wav_header(wav(fmt_pcm())[:keep], NAME)
    assert err.value.needed == 12


def test_head_ending_inside_fmt_asks_for_the_whole_fmt_chunk():
    with pytest.raises(HeaderTooShort) as err:
        parse_wav_header(wav(fmt_pcm())[:30], NAME)
    assert err.value.needed == 12 + 8 + 16
    assert NAME in str(err.value)


def test_head_ending_before_data_chunk_header_asks_for_exactly_that_header():
    head = wav(fmt_pcm(), chunk(b"LIST", b"INFO" + b"x" * 300))
    with pytest.raises(HeaderTooShort) as err:
        parse_wav_header(head[:100], NAME)
    assert err.value.needed == len(head)  # the 8-byte data chunk header ends the header
    assert parse_wav_header(head[: err.value.needed], NAME).data_offset == len(head)


@pytest.mark.parametrize(
    "head, problem",
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "does not start with 'RIFF'"),
        (b"<?xml version='1.0'?><Error>NoSuchKey</Error>", "does not start with 'RIFF'"),
        (b"RIFX" + wav(fmt_pcm())[4:], "big-endian RIFX"),
        (b"RF64" + wav(fmt_pcm())[4:], "RF64"),
        (wav(fmt_pcm())[:8] + b"AVI " + wav(fmt_pcm())[12:], "not 'WAVE'"),
        (wav(fmt_pcm())[:12] + b"\xff\x00\x13\x37" + wav(fmt_pcm())[16:], "not ASCII"),
        (wav(), "'data' chunk comes before any 'fmt ' chunk"),
        (wav(chunk(b"fmt ", b"\x01\x00" * 4)), "'fmt ' chunk is 8 bytes"),
        (wav(fmt_pcm(bits=12)), "not a whole number of bytes"),
        (wav(fmt_pcm(channels=0)), "0 channels"),
    ],
)
def test_garbage_headers_raise_errors_naming_the_file_and_the_problem(head, problem):
    with pytest.raises(CorruptWavHeader) as err:
        parse_wav_header(head, NAME)
    message = str(err.value)
    assert message.startswith(NAME) and problem in message
    assert "re-fetch" in message or "Convert" in message  # says what to do
    assert isinstance(err.value, ValueError)


def test_inconsistent_block_align_is_corrupt():
    bad = chunk(b"fmt ", struct.pack("<HHIIHH", 1, 1, 16_000, 48_000, 4, 24))
    with pytest.raises(CorruptWavHeader, match="block align is 4.*need 3"):
        parse_wav_header(wav(bad), NAME)
