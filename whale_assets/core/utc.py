"""UTC timestamps, one way: every `*_utc` value in the platform is normalised here."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

NS_PER_S = 1_000_000_000


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
