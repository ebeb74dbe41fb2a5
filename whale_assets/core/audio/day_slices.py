"""Split a UTC time window into per-day sample ranges of the daily archive files.

Convention: sample k of the continuous record is at time k / sample_rate after the Unix epoch
(a UTC midnight, so every UTC day starts on a sample). The samples of a window [start, end) are
those from floor(start) to ceil(end) on that grid: the smallest run of whole samples covering
the window. Sample i of the result is at time floor(start) + i / sample_rate; when start and end
lie on the grid (any whole millisecond at 16 kHz) that is exactly start + i / sample_rate and
there are exactly (end - start) * sample_rate samples.

All arithmetic is on integer nanoseconds (at 16 kHz one sample is exactly 62 500 ns), so no
float rounding can move a sample boundary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE, DAY_SECONDS
from whale_assets.core.utc import NS_PER_S, as_utc

_EPOCH_DAY = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class DaySlice:
    """Samples [first_sample, first_sample + n_samples) of one UTC day's file."""

    day: dt.date
    first_sample: int
    n_samples: int

    @property
    def stop_sample(self) -> int:
        return self.first_sample + self.n_samples


def split_by_day(
    start_utc: pd.Timestamp, end_utc: pd.Timestamp, sample_rate: int = ARCHIVE_SAMPLE_RATE
) -> list[DaySlice]:
    """The per-day sample ranges covering [start_utc, end_utc), in time order (empty if end == start)."""
    start, end = as_utc(start_utc), as_utc(end_utc)
    if end < start:
        raise ValueError(f"window ends before it starts: {start} .. {end}")
    first = (start.value * sample_rate) // NS_PER_S  # floor
    stop = -((-end.value * sample_rate) // NS_PER_S)  # ceil
    per_day = DAY_SECONDS * sample_rate
    slices = []
    while first < stop:
        day_index = first // per_day
        day_stop = min(stop, (day_index + 1) * per_day)
        slices.append(
            DaySlice(_EPOCH_DAY + dt.timedelta(days=day_index), first - day_index * per_day, day_stop - first)
        )
        first = day_stop
    return slices


def day_start_sample(day: dt.date, sample_rate: int = ARCHIVE_SAMPLE_RATE) -> int:
    """The continuous-record index of the day's first sample (00:00:00 UTC)."""
    return (day - _EPOCH_DAY).days * DAY_SECONDS * sample_rate


def sample_time(sample: int, sample_rate: int = ARCHIVE_SAMPLE_RATE) -> pd.Timestamp:
    """UTC time of continuous-record sample `sample` (exact at 16 kHz: 62 500 ns a sample)."""
    return pd.Timestamp(sample * NS_PER_S // sample_rate, unit="ns", tz="UTC")


def longest_available_run(
    slices: list[DaySlice], present: dict[dt.date, int], sample_rate: int = ARCHIVE_SAMPLE_RATE
) -> tuple[int, int] | None:
    """The longest unbroken run [first, stop) of continuous-record samples the archive has.

    `present` gives, per day of `slices`, how many samples of its file can be read (0: no file);
    a file shorter than its day ends the run there. None when no sample of `slices` exists.
    """
    runs: list[tuple[int, int]] = []
    for piece in slices:
        stop = min(piece.stop_sample, present.get(piece.day, 0))
        if stop <= piece.first_sample:
            continue
        offset = day_start_sample(piece.day, sample_rate)
        first, last = offset + piece.first_sample, offset + stop
        if runs and runs[-1][1] == first:
            runs[-1] = (runs[-1][0], last)
        else:
            runs.append((first, last))
    return max(runs, key=lambda run: run[1] - run[0]) if runs else None
