"""PCM decoding and encoding: exact 24-bit values, round trips, and agreement with libsndfile."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf

from whale_assets.core.audio.pcm import decode_pcm, float32_to_pcm24, pcm24_to_float32


def pcm24(*ints: int) -> bytes:
    return b"".join(i.to_bytes(3, "little", signed=True) for i in ints)


def test_24_bit_extremes_decode_to_exact_fractions_of_full_scale():
    out = pcm24_to_float32(pcm24(0, 1, -1, 2**23 - 1, -(2**23), 0x123456, -0x123456))
    expected = np.array([0, 1, -1, 2**23 - 1, -(2**23), 0x123456, -0x123456], dtype=np.float64) / 2**23
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected.astype(np.float32))
    assert out.min() == -1.0 and out.max() < 1.0


def test_24_bit_decode_accepts_bytes_memoryview_and_uint8_array():
    raw = pcm24(5, -7, 2**22)
    expected = pcm24_to_float32(raw)
    for source in (bytearray(raw), memoryview(raw), np.frombuffer(raw, dtype=np.uint8), memoryview(b"x" + raw)[1:]):
        np.testing.assert_array_equal(pcm24_to_float32(source), expected)


def test_24_bit_values_across_the_whole_range_round_trip_exactly():
    # A step of 7 (coprime with 256) still puts every value in every byte position.
    ints = np.append(np.arange(-(2**23), 2**23, 7), 2**23 - 1).astype("<i4")
    raw = ints.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    decoded = pcm24_to_float32(raw)
    np.testing.assert_array_equal(decoded.astype(np.float64) * 2**23, ints)
    assert float32_to_pcm24(decoded) == raw


def test_empty_input_decodes_to_empty_float32():
    assert pcm24_to_float32(b"").shape == (0,) and pcm24_to_float32(b"").dtype == np.float32


def test_byte_count_not_a_multiple_of_three_is_rejected():
    with pytest.raises(ValueError, match="multiple of 3 bytes, got 4"):
        pcm24_to_float32(b"\0" * 4)


def test_encoding_rounds_to_nearest_step_and_clips_to_the_24_bit_range():
    step = 2.0**-23
    x = np.array([0.4 * step, 0.6 * step, -0.6 * step, 1.0, 1.5, -1.0, -3.0, np.inf], dtype=np.float64)
    decoded = pcm24_to_float32(float32_to_pcm24(x)).astype(np.float64) * 2**23
    np.testing.assert_array_equal(decoded, [0, 1, -1, 2**23 - 1, 2**23 - 1, -(2**23), -(2**23), 2**23 - 1])


def test_encoding_nan_is_an_error():
    with pytest.raises(ValueError, match="NaN"):
        float32_to_pcm24(np.array([0.0, np.nan], dtype=np.float32))


def test_round_trip_error_is_at_most_half_a_24_bit_step():
    x = np.random.default_rng(1).uniform(-1, 1, 10_000).astype(np.float32)
    assert np.abs(pcm24_to_float32(float32_to_pcm24(x)) - x).max() <= 2.0**-24


@pytest.mark.parametrize("bits, subtype", [(16, "PCM_16"), (24, "PCM_24"), (32, "PCM_32")])
def test_decode_pcm_matches_libsndfile(bits, subtype):
    x = np.random.default_rng(bits).uniform(-0.99, 0.99, 1_000)
    buf = io.BytesIO()
    sf.write(buf, x, 8_000, subtype=subtype, format="RAW", endian="LITTLE")
    reference, _ = sf.read(
        io.BytesIO(buf.getvalue()),
        samplerate=8_000,
        channels=1,
        subtype=subtype,
        format="RAW",
        endian="LITTLE",
        dtype="float64",
    )
    ours = decode_pcm(buf.getvalue(), bits)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, reference, rtol=0, atol=2.0**-24)


def test_decode_pcm_rejects_unsupported_depths_and_ragged_input():
    with pytest.raises(ValueError, match="unsupported PCM bit depth 8"):
        decode_pcm(b"\0\0", 8)
    with pytest.raises(ValueError, match="multiple of 2 bytes"):
        decode_pcm(b"\0\0\0", 16)
