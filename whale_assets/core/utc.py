"""UTC timestamps, one way: every `*_utc` value in the platform is normalised here."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NS_PER_S = 1_000_000_000


class Day(dt.date):
    """One UTC day, the unit of every partition: built once from the partition key and passed down.

    A `datetime.date` (whatever takes a date takes a Day), with the shapes of its midnight the
    tables and arrays need, so no layer converts the key again.
    """

    @classmethod
    def from_key(cls, partition_key: str) -> Day:
        """The day of a daily partition key, `YYYY-MM-DD`."""
        return cls.fromisoformat(partition_key)

    @classmethod
    def of(cls, day: dt.date) -> Day:
        return day if isinstance(day, Day) else cls(day.year, day.month, day.day)

    @property
    def key(self) -> str:
        """The partition key (and folder name) of the day."""
        return self.isoformat()

    @property
    def start(self) -> pd.Timestamp:
        """Midnight as a zone-less UTC timestamp: the tables' `date` value."""
        return pd.Timestamp(self.year, self.month, self.day)

    @property
    def start_utc(self) -> pd.Timestamp:
        """Midnight as a UTC-aware timestamp."""
        return self.start.tz_localize("UTC")

    @property
    def start_ns(self) -> np.datetime64:
        """Midnight as a zone-less UTC `datetime64[ns]`, for arithmetic on window times."""
        return np.datetime64(self.start.to_datetime64(), "ns")


def as_utc(value: pd.Timestamp | dt.datetime | str) -> pd.Timestamp:
    """`value` as a UTC-aware timestamp; a naive value is taken to be UTC already."""
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def naive_utc(value: object) -> pd.Timestamp:
    """`value` as a zone-less UTC timestamp (aware ones are converted, naive ones taken as UTC)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp


def naive_utc_ns(value: object) -> np.datetime64:
    """`value` as a zone-less UTC `datetime64[ns]`."""
    return np.datetime64(naive_utc(value).to_datetime64(), "ns")
