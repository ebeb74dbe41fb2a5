"""Exact polyphase resampling: output lengths, frequencies and levels survive."""

from __future__ import annotations

import numpy as np
import pytest

from whale_assets.core.audio.resample import polyphase_ratio, resample_exact, resampled_length

RATE_PAIRS = [(16_000, 10_000), (10_000, 16_000), (44_100, 16_000), (48_000, 10_000), (16_000, 2_000)]


def test_ratio_is_gcd_reduced() -> None:
    assert polyphase_ratio(16_000, 10_000) == (5, 8)
    assert polyphase_ratio(10_000, 16_000) == (8, 5)
    assert polyphase_ratio(44_100, 16_000) == (160, 441)


@pytest.mark.parametrize("from_rate, to_rate", RATE_PAIRS)
@pytest.mark.parametrize("n", [0, 1, 2, 7, 8, 9, 1_000, 1_001, 16_003, 39_124])
def test_predicted_length_equals_real_output_length(from_rate: int, to_rate: int, n: int) -> None:
    out = resample_exact(np.ones(n), from_rate, to_rate)

    assert out.shape == (resampled_length(n, from_rate, to_rate),)
    assert out.dtype == np.float32


def test_one_second_of_16_khz_becomes_exactly_one_second_of_10_khz() -> None:
    assert resampled_length(16_000, 16_000, 10_000) == 10_000
    assert resampled_length(16_000 * 3_600, 16_000, 10_000) == 10_000 * 3_600


def _peak_frequency(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


@pytest.mark.parametrize("from_rate, to_rate", [(16_000, 10_000), (10_000, 16_000)])
@pytest.mark.parametrize("freq_hz", [100.0, 440.0, 1_234.0, 3_000.0])
def test_tone_keeps_its_frequency_and_level(from_rate: int, to_rate: int, freq_hz: float) -> None:
    t = np.arange(from_rate * 2) / from_rate
    tone = np.sin(2 * np.pi * freq_hz * t)

    out = resample_exact(tone, from_rate, to_rate)

    assert abs(_peak_frequency(out, to_rate) - freq_hz) <= 0.5  # 0.5 Hz bins over 2 s
    middle = out[to_rate // 4 : -to_rate // 4]  # away from the zero-padded edges
    assert np.sqrt(np.mean(middle.astype(np.float64) ** 2)) == pytest.approx(1 / np.sqrt(2), rel=0.01)


def test_tone_above_the_new_nyquist_is_removed_not_aliased() -> None:
    t = np.arange(16_000) / 16_000
    out = resample_exact(np.sin(2 * np.pi * 6_000.0 * t), 16_000, 10_000)  # 10 kHz Nyquist is 5 kHz

    assert np.sqrt(np.mean(out[2_000:-2_000] ** 2)) < 0.01


def test_same_rate_returns_a_float32_copy() -> None:
    x = np.arange(5, dtype=np.float64)
    out = resample_exact(x, 16_000, 16_000)

    np.testing.assert_array_equal(out, x)
    assert out.dtype == np.float32
    out[0] = 99.0
    assert x[0] == 0.0


@pytest.mark.parametrize("from_rate, to_rate", [(0, 10_000), (16_000, -1), (16_000.5, 10_000)])
def test_bad_rates_are_refused(from_rate: float, to_rate: float) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        resample_exact(np.zeros(10), from_rate, to_rate)


def test_two_dimensional_input_is_refused() -> None:
    with pytest.raises(ValueError, match="1-D"):
        resample_exact(np.zeros((2, 10)), 16_000, 10_000)
