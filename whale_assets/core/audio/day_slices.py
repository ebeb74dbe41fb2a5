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
        slices.append(DaySlice(_EPOCH_DAY + dt.timedelta(days=day_index), first - day_index * per_day, day_stop - first))
        first = day_stop
    return slices
