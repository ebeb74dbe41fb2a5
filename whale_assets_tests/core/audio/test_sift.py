"""Band-pass energy sifting: offsets, chunk independence, band selectivity, edge cases."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import signal

from whale_assets.core.audio.sift import (
    DEFAULT_CHUNK_FRAMES,
    SiftMode,
    SiftParameters,
    bandpass_sos,
    sift,
)

RATE = 16_000
FRAME = 512


def _noise_with_burst(n: int, burst_start: int, burst_len: int, freq_hz: float = 600.0, seed: int = 0) -> np.ndarray:
    """Quiet white noise (-60 dB re the burst) with one tone burst at a known sample."""
    rng = np.random.default_rng(seed)
    audio = (1e-3 * rng.standard_normal(n)).astype(np.float32)
    stop = min(n, burst_start + burst_len)
    t = np.arange(stop - burst_start) / RATE
    audio[burst_start:stop] += np.sin(2 * np.pi * freq_hz * t).astype(np.float32)
    return audio


def _filtered_from_initial_offset(sos: np.ndarray, audio: np.ndarray) -> np.ndarray:
    """float64 reference: the filter starts in the steady state of the median of the first 4096 samples."""
    return signal.sosfilt(sos, audio, zi=signal.sosfilt_zi(sos) * np.median(audio[:4096]))[0]


@pytest.mark.parametrize(
    "n, burst_start",
    [
        (100_003, 50_001),  # not a multiple of the frame or the chunk
        (3 * 16 * FRAME + 77, 16 * FRAME - 100),  # burst straddles a chunk boundary
        (5 * 16 * FRAME + 1, 4 * 16 * FRAME + 3),  # burst in the last chunk
        (77_777, 2),  # burst at the very start
        (250_111, 199_999),
    ],
)
def test_burst_comes_back_at_its_own_sample_in_every_chunk(n: int, burst_start: int) -> None:
    burst_len = 4_000
    audio = _noise_with_burst(n, burst_start, burst_len)
    result = sift(audio, RATE, chunk_frames=16, mode="max_relative")  # 8 192-sample chunks: many boundaries

    assert len(result.regions) == 1
    start, end = result.span
    assert abs(start - burst_start) <= FRAME
    assert abs(end - (burst_start + burst_len)) <= FRAME


def test_burst_far_into_input_longer_than_default_chunk_keeps_its_offset() -> None:
    n = DEFAULT_CHUNK_FRAMES * FRAME * 2 + 12_345  # ~2.1 default chunks
    burst_start = DEFAULT_CHUNK_FRAMES * FRAME + 333_333  # inside the second chunk
    result = sift(_noise_with_burst(n, burst_start, 8_000), RATE, mode="max_relative")

    start, end = result.span
    assert abs(start - burst_start) <= FRAME
    assert abs(end - (burst_start + 8_000)) <= FRAME


def test_burst_at_the_end_yields_a_region_clipped_to_the_input_length() -> None:
    n = 64_000 + 300  # last frame holds only 300 samples
    result = sift(_noise_with_burst(n, n - 2_000, 2_000), RATE, mode="max_relative")

    assert result.regions[-1][1] == n
    assert len(result.frame_energy) == -(-n // FRAME)


@pytest.mark.parametrize("chunk_frames", [1, 3, 16, 10_000])
def test_chunked_filtering_equals_unchunked(chunk_frames: int) -> None:
    rng = np.random.default_rng(3)
    audio = rng.standard_normal(123_457).astype(np.float32) * 0.01
    audio[20_000:26_000] += 1.0
    audio[90_000:91_000] += rng.standard_normal(1_000).astype(np.float32)
    whole = sift(audio, RATE, chunk_frames=10**6)

    chunked = sift(audio, RATE, chunk_frames=chunk_frames)

    assert chunked.regions == whole.regions
    np.testing.assert_allclose(chunked.frame_energy, whole.frame_energy, rtol=1e-5, atol=1e-9)


def test_frame_energy_matches_a_direct_float64_filter_and_is_normalised() -> None:
    audio = np.random.default_rng(5).standard_normal(50_000)
    result = sift(audio, RATE, lowcut_hz=50.0, highcut_hz=1500.0)

    filtered = _filtered_from_initial_offset(bandpass_sos(50.0, 1500.0, RATE, 5), audio)
    padded = np.concatenate([filtered, np.zeros(-len(filtered) % FRAME)])
    reference = (padded.reshape(-1, FRAME) ** 2).sum(axis=1)
    np.testing.assert_allclose(result.frame_energy, reference / reference.max(), rtol=1e-4, atol=1e-6)
    assert result.frame_energy.dtype == np.float32
    assert result.frame_energy.max() == 1.0


def test_very_low_lowcut_falls_back_to_float64_and_stays_accurate() -> None:
    rng = np.random.default_rng(6)
    audio = np.cumsum(rng.standard_normal(80_000)) * 1e-3 + rng.standard_normal(80_000)
    result = sift(audio, RATE, lowcut_hz=3.0, highcut_hz=1500.0)

    filtered = _filtered_from_initial_offset(bandpass_sos(3.0, 1500.0, RATE, 5), audio)
    reference = (np.concatenate([filtered, np.zeros(-len(filtered) % FRAME)]).reshape(-1, FRAME) ** 2).sum(axis=1)
    np.testing.assert_allclose(result.frame_energy, reference / reference.max(), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize(
    "band, out_of_band_hz",
    [((50.0, 1500.0), 10.0), ((50.0, 1500.0), 4_000.0), ((50.0, 1500.0), 7_000.0), (None, 20.0), (None, 6_500.0)],
)
def test_band_rejects_out_of_band_tones(band: tuple[float, float] | None, out_of_band_hz: float) -> None:
    t = np.arange(RATE * 2) / RATE
    audio = np.concatenate([np.sin(2 * np.pi * out_of_band_hz * t), np.sin(2 * np.pi * 500.0 * t)])
    result = sift(audio, RATE, **(dict(lowcut_hz=band[0], highcut_hz=band[1]) if band else {}))

    assert result.span is not None
    assert result.span[0] >= RATE * 2 - FRAME  # nothing kept in the out-of-band half
    assert result.frame_energy[: (RATE * 2) // FRAME - 2].max() < 0.015


def test_int16_pcm_input_gives_the_same_regions_as_float() -> None:
    audio = _noise_with_burst(60_000, 30_000, 5_000) * 0.5
    pcm = np.round(audio * 32767).astype(np.int16)

    assert sift(pcm, RATE).regions == sift(audio, RATE).regions


def test_separate_bursts_give_separate_regions_in_order() -> None:
    audio = _noise_with_burst(100_000, 10_000, 3_000)
    audio[60_000:63_000] += np.sin(2 * np.pi * 900.0 * np.arange(3_000) / RATE).astype(np.float32)
    result = sift(audio, RATE, mode="max_relative")

    assert len(result.regions) == 2
    (s1, e1), (s2, e2) = result.regions
    assert abs(s1 - 10_000) <= FRAME and abs(e1 - 13_000) <= FRAME
    assert abs(s2 - 60_000) <= FRAME and abs(e2 - 63_000) <= FRAME
    assert result.span == (s1, e2)


def test_all_zero_audio_keeps_nothing_and_stays_finite() -> None:
    result = sift(np.zeros(40_000, np.float32), RATE)

    assert result.regions == []
    assert result.span is None
    assert np.all(result.frame_energy == 0.0)


def test_empty_audio_keeps_nothing() -> None:
    result = sift(np.zeros(0), RATE)

    assert result.regions == [] and result.span is None and result.frame_energy.size == 0


def test_non_finite_audio_is_refused() -> None:
    audio = np.zeros(10_000)
    audio[5_000] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        sift(audio, RATE)


@pytest.mark.parametrize(
    "lowcut, highcut",
    [(1500.0, 50.0), (50.0, 8_000.0), (0.0, 1500.0), (-5.0, 1500.0), (100.0, 100.0)],
)
def test_bad_band_raises_naming_the_values_and_the_valid_range(lowcut: float, highcut: float) -> None:
    with pytest.raises(ValueError) as error:
        bandpass_sos(lowcut, highcut, RATE, 5)
    message = str(error.value)
    assert f"lowcut_hz={lowcut}" in message and f"highcut_hz={highcut}" in message
    assert "8000 Hz (Nyquist)" in message

    with pytest.raises(ValueError, match="Nyquist"):
        sift(np.zeros(1_000), RATE, lowcut_hz=lowcut, highcut_hz=highcut)


def test_bad_order_raises() -> None:
    with pytest.raises(ValueError, match="order=0"):
        bandpass_sos(50.0, 1500.0, RATE, 0)


def test_keyword_call_equals_a_parameter_object() -> None:
    audio = _noise_with_burst(60_000, 30_000, 5_000)
    params = SiftParameters(mode=SiftMode.MAX_RELATIVE, threshold=0.02, lowcut_hz=100.0)

    by_keyword = sift(audio, RATE, mode="max_relative", threshold=0.02, lowcut_hz=100.0)
    by_object = sift(audio, RATE, params)
    assert by_keyword.regions == by_object.regions
    np.testing.assert_array_equal(by_keyword.frame_energy, by_object.frame_energy)
    assert sift(audio, RATE, params, threshold=0.5).regions == sift(audio, RATE, replace(params, threshold=0.5)).regions


def test_parameters_refuse_inconsistent_values() -> None:
    with pytest.raises(ValueError, match="end_db=7"):
        SiftParameters(start_db=6.0, end_db=7.0)
    with pytest.raises(ValueError, match="floor_percentile"):
        SiftParameters(floor_percentile=120.0)
    with pytest.raises(ValueError, match="not a valid SiftMode"):
        SiftParameters(mode="loudest")
    assert SiftParameters(mode="max_relative").mode is SiftMode.MAX_RELATIVE
