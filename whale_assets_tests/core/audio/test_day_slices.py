"""Splitting UTC windows into per-day sample ranges with exact integer arithmetic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.audio.day_slices import (
    DaySlice,
    day_start_sample,
    longest_available_run,
    sample_time,
    split_by_day,
)
from whale_assets.core.utc import as_utc

DAY = 86_400 * 16_000
D1, D2, D3, D4 = (dt.date(2019, 3, d) for d in (1, 2, 3, 4))


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_window_inside_one_day_is_one_slice_at_the_exact_sample():
    slices = split_by_day(utc("2019-03-01 14:30:00"), utc("2019-03-01 15:00:00"))
    assert slices == [DaySlice(D1, 52_200 * 16_000, 1_800 * 16_000)]
    assert slices[0].stop_sample == 54_000 * 16_000


def test_window_crossing_midnight_splits_into_the_tail_of_one_day_and_the_head_of_the_next():
    slices = split_by_day(utc("2019-03-01 23:59:30"), utc("2019-03-02 00:00:30"))
    assert slices == [DaySlice(D1, DAY - 480_000, 480_000), DaySlice(D2, 0, 480_000)]


def test_window_ending_exactly_at_midnight_does_not_touch_the_next_day():
    assert split_by_day(utc("2019-03-01 23:00"), utc("2019-03-02 00:00")) == [
        DaySlice(D1, DAY - 57_600_000, 57_600_000)
    ]


def test_window_starting_exactly_at_midnight_starts_at_sample_zero():
    assert split_by_day(utc("2019-03-02 00:00"), utc("2019-03-02 00:00:01")) == [DaySlice(D2, 0, 16_000)]


def test_multi_day_span_has_a_whole_middle_day_and_counts_add_up():
    start, end = utc("2019-03-01 12:00"), utc("2019-03-04 06:00")
    slices = split_by_day(start, end)
    assert [s.day for s in slices] == [D1, D2, D3, D4]
    assert slices[1] == DaySlice(D2, 0, DAY) and slices[2] == DaySlice(D3, 0, DAY)
    assert slices[0].stop_sample == DAY and slices[-1].first_sample == 0
    assert sum(s.n_samples for s in slices) == (end - start).total_seconds() * 16_000


def test_sub_sample_start_is_floored_and_sub_sample_end_is_ceiled():
    midnight = utc("2019-03-01")
    start = midnight + pd.Timedelta(nanoseconds=10 * 62_500 + 1)  # just after sample 10
    end = midnight + pd.Timedelta(nanoseconds=20 * 62_500 + 31_250)  # half-way into sample 20
    assert split_by_day(start, end) == [DaySlice(D1, 10, 11)]  # samples 10..20 cover the window
    on_grid_end = midnight + pd.Timedelta(nanoseconds=20 * 62_500)
    assert split_by_day(start, on_grid_end) == [DaySlice(D1, 10, 10)]  # end is exclusive


def test_one_sample_is_exactly_62_500_ns_at_16_khz_over_a_whole_day():
    # Float seconds would drift here (e.g. 0.1 s steps); integer nanoseconds cannot.
    midnight = utc("2019-03-01")
    for k in np.random.default_rng(0).integers(0, DAY, 2_000).tolist() + [DAY - 1, 1, 0]:
        t = midnight + pd.Timedelta(nanoseconds=k * 62_500)
        one_sample = pd.Timedelta(nanoseconds=62_500)
        assert split_by_day(t, t + one_sample) == [DaySlice(D1, k, 1)]
        assert split_by_day(t + pd.Timedelta(nanoseconds=1), t + one_sample) == [DaySlice(D1, k, 1)]


def test_millisecond_timestamps_land_on_the_grid():
    s = split_by_day(utc("2019-03-01 00:00:00.001"), utc("2019-03-01 00:00:00.1015"))
    assert s == [DaySlice(D1, 16, 1_624 - 16)]


def test_naive_timestamps_are_utc_and_other_zones_are_converted():
    naive = split_by_day(pd.Timestamp("2019-03-01 23:59:59"), pd.Timestamp("2019-03-02 00:00:01"))
    local = split_by_day(pd.Timestamp("2019-03-01 15:59:59-08:00"), pd.Timestamp("2019-03-01 16:00:01-08:00"))
    assert naive == local == [DaySlice(D1, DAY - 16_000, 16_000), DaySlice(D2, 0, 16_000)]
    assert as_utc(dt.datetime(2019, 3, 1, 12)) == utc("2019-03-01 12:00")


def test_other_sample_rates_split_at_their_own_day_length():
    assert split_by_day(utc("2019-03-01 23:59:59"), utc("2019-03-02 00:00:01"), sample_rate=2_000) == [
        DaySlice(D1, 86_399 * 2_000, 2_000),
        DaySlice(D2, 0, 2_000),
    ]
    # 44.1 kHz has no whole-nanosecond sample period: still exact, by integer arithmetic.
    assert split_by_day(utc("2019-03-01 00:00:01"), utc("2019-03-01 00:00:02"), sample_rate=44_100) == [
        DaySlice(D1, 44_100, 44_100)
    ]


def test_empty_window_gives_no_slices_and_a_reversed_window_is_an_error():
    assert split_by_day(utc("2019-03-01 12:00"), utc("2019-03-01 12:00")) == []
    with pytest.raises(ValueError, match="ends before it starts"):
        split_by_day(utc("2019-03-01 12:00"), utc("2019-03-01 11:00"))


def test_days_before_the_epoch_split_the_same_way():
    assert split_by_day(utc("1969-12-31 23:59:59"), utc("1970-01-01 00:00:01")) == [
        DaySlice(dt.date(1969, 12, 31), DAY - 16_000, 16_000),
        DaySlice(dt.date(1970, 1, 1), 0, 16_000),
    ]


def test_the_longest_run_of_present_samples_skips_a_missing_day_and_stops_at_a_short_file():
    slices = split_by_day(utc("2019-03-01 23:00"), utc("2019-03-04 01:00"))
    # D2 missing, D3 whole, D4 only 10 minutes long: the run is D3 plus D4's 10 minutes.
    present = {D1: DAY, D2: 0, D3: DAY, D4: 600 * 16_000}
    first, stop = longest_available_run(slices, present)
    assert (sample_time(first), sample_time(stop)) == (utc("2019-03-03"), utc("2019-03-04 00:10"))
    assert first == day_start_sample(D3)


def test_no_present_sample_gives_no_run():
    assert longest_available_run(split_by_day(utc("2019-03-01 10:00"), utc("2019-03-01 11:00")), {}) is None
