"""Happywhale's local date + time + time zone to UTC.

Happywhale stores when an encounter happened as the observer's local wall clock
(`startDate` 2023-06-01, `startTime` 16:49:30) plus a `timezone` that is either a fixed
offset (`-08:00`, `+0530`, `-8`, `Z`, `UTC`) or an IANA name (`America/Los_Angeles`).
The audio archive is in UTC days, so every encounter must be converted, seconds included.

IANA zones follow PEP 495 with fold=0, deterministically:
- an ambiguous wall time (clocks going back, e.g. 01:30 on the first Sunday of November in
  Los Angeles) is its *first* occurrence, the earlier instant (01:30 PDT = 08:30 UTC);
- a nonexistent wall time (clocks going forward, e.g. 02:30 on the second Sunday of March)
  is read with the offset in force before the jump, i.e. moved forward by the gap
  (02:30 "PST" = 10:30 UTC = 03:30 PDT).
Fixed offsets must lie in UTC-12:00..UTC+14:00, the range of real civil time zones.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

MIN_OFFSET = dt.timedelta(hours=-12)
MAX_OFFSET = dt.timedelta(hours=14)

_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
# Real exports carry fractional seconds (`19:23:55.88`); they are kept to the microsecond.
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?")
_OFFSET = re.compile(r"(?:UTC|GMT)?([+-])(?:(\d{2}):?(\d{2})|(\d{1,2})(?::(\d{2}))?)", re.IGNORECASE)
_UTC_NAMES = {"Z", "UTC", "GMT"}


@functools.lru_cache(maxsize=1024)
def parse_timezone(text: str) -> dt.tzinfo:
    """A tzinfo for a Happywhale `timezone` value; ValueError naming the value if it is not one.

    Fixed offsets become `datetime.timezone`, everything else is looked up as an IANA name.
    Cached because an export holds a handful of distinct zones over thousands of rows.
    """
    value = text.strip() if isinstance(text, str) else ""
    if not value:
        raise ValueError(f"time zone {text!r} is empty")
    if value.upper() in _UTC_NAMES:
        return dt.timezone.utc
    match = _OFFSET.fullmatch(value)
    if match:
        sign, hh, mm, h, m = match.groups()
        hours, minutes = int(hh or h), int(mm or m or 0)
        if minutes >= 60:
            raise ValueError(f"time zone offset {text!r} has {minutes} minutes")
        offset = (1 if sign == "+" else -1) * dt.timedelta(hours=hours, minutes=minutes)
        if not MIN_OFFSET <= offset <= MAX_OFFSET:
            raise ValueError(f"time zone offset {text!r} is outside UTC-12:00..UTC+14:00")
        return dt.timezone(offset)
    try:
        return ZoneInfo(value)
    except Exception as exc:  # ZoneInfoNotFoundError, or ValueError for malformed keys
        raise ValueError(f"unknown time zone {text!r} (not an offset like -08:00 nor an IANA name)") from exc


def _parse_date(text: str) -> dt.date:
    match = _DATE.fullmatch(text.strip()) if isinstance(text, str) else None
    try:
        if match:
            date = dt.date(*map(int, match.groups()))
            # The range of datetime64[ns], which the tables use.
            if 1678 <= date.year <= 2261:
                return date
    except ValueError:
        pass
    raise ValueError(f"date {text!r} is not a valid YYYY-MM-DD date in 1678..2261")


def _parse_time(text: str) -> dt.time:
    match = _TIME.fullmatch(text.strip()) if isinstance(text, str) else None
    try:
        if match:
            h, m, s, fraction = match.groups()
            micro = int((fraction or "0")[:6].ljust(6, "0"))  # digits past microseconds are cut
            return dt.time(int(h), int(m), int(s or 0), micro)
    except ValueError:
        pass
    raise ValueError(f"time {text!r} is not a valid HH:MM:SS[.fff] or HH:MM time")


def _zoned_to_utc(local: dt.datetime, tz: dt.tzinfo) -> pd.Timestamp:
    # fold=0 is the documented rule for ambiguous and nonexistent wall times.
    return pd.Timestamp(local.replace(tzinfo=tz, fold=0).astimezone(dt.timezone.utc))


def local_to_utc(date: str, time: str, timezone: str) -> pd.Timestamp:
    """UTC instant (tz-aware Timestamp) of a Happywhale local date, time and time zone."""
    local = dt.datetime.combine(_parse_date(date), _parse_time(time))
    return _zoned_to_utc(local, parse_timezone(timezone))


def _per_distinct(column: pd.Series, parse: Callable[[str], np.generic], missing: np.generic) -> np.ndarray:
    """`parse` applied once per distinct value: exports repeat the same dates and times a lot.

    Missing values and values `parse` rejects become `missing`.
    """
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    parsed = []
    for value in uniques:
        try:
            parsed.append(parse(value))
        except ValueError:
            parsed.append(missing)
    return np.array(parsed + [missing])[codes]  # code -1 (missing) picks the trailing `missing`


def parse_local_times(dates: pd.Series, times: pd.Series) -> pd.Series:
    """Naive local datetime64[ns] from date and time text columns; NaT where either is bad.

    Same rules as `local_to_utc`: HH:MM gets :00, given seconds (and fractions) are kept.
    """
    day = _per_distinct(dates, lambda v: np.datetime64(_parse_date(v), "ns"), np.datetime64("NaT", "ns"))
    clock = _per_distinct(
        times,
        lambda v: np.timedelta64(_microseconds_of_day(_parse_time(v)), "us").astype("timedelta64[ns]"),
        np.timedelta64("NaT", "ns"),
    )
    return pd.Series(day + clock, index=dates.index, dtype="datetime64[ns]")


def _microseconds_of_day(t: dt.time) -> int:
    return (t.hour * 3600 + t.minute * 60 + t.second) * 1_000_000 + t.microsecond


def localize_to_utc(local: pd.Series, zones: pd.Series) -> pd.Series:
    """UTC instants (datetime64[ns, UTC]) of naive local times in per-row zone strings.

    NaT where the local time is NaT or the zone does not parse. Vectorised per distinct zone;
    only ambiguous/nonexistent wall times fall back to the scalar rule, so the result is
    identical to `local_to_utc` row by row.
    """
    out = pd.Series(pd.NaT, index=local.index, dtype="datetime64[ns, UTC]")
    valid = local.notna() & zones.notna()
    if not valid.any():
        return out
    for zone_text, index in zones[valid].groupby(zones[valid], sort=False).groups.items():
        try:
            tz = parse_timezone(zone_text)
        except ValueError:
            continue
        chunk = local.loc[index]
        if isinstance(tz, dt.timezone):
            utc = (chunk - tz.utcoffset(None)).dt.tz_localize("UTC")
        else:
            utc = chunk.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC").copy()
            edge = utc.isna()
            if edge.any():  # the few wall times at a DST change
                utc[edge] = [_zoned_to_utc(t.to_pydatetime(), tz) for t in chunk[edge]]
        out.loc[index] = utc.astype("datetime64[ns, UTC]")
    return out


def offsets_disagree_with_zone(local: pd.Series, zones: pd.Series, position_zone: str) -> pd.Series:
    """True where the written zone gives a row's local time a UTC offset `position_zone` lacks then.

    Offsets are still applied as written (`localize_to_utc`); this only flags rows whose observer
    probably typed the wrong offset (`-08:00` in July in California). At a DST change either
    offset the wall time can have is accepted; the position's own IANA name is never suspect.
    NaT times and unparseable zones give False: such rows are dropped for their time anyway.
    """
    reference = ZoneInfo(position_zone)
    verdicts: dict[tuple[pd.Timestamp, str], bool] = {}
    flags = []
    for when, text in zip(local, zones, strict=True):
        if pd.isna(when) or not isinstance(text, str):
            flags.append(False)
            continue
        key = (when, text)
        if key not in verdicts:
            verdicts[key] = _offset_disagrees(when.to_pydatetime(), text, reference)
        flags.append(verdicts[key])
    return pd.Series(flags, index=local.index, dtype=bool)


def _offset_disagrees(local: dt.datetime, text: str, reference: ZoneInfo) -> bool:
    try:
        tz = parse_timezone(text)
    except ValueError:
        return False
    if isinstance(tz, ZoneInfo) and tz.key == reference.key:
        return False
    written = {local.replace(tzinfo=tz, fold=fold).utcoffset() for fold in (0, 1)}
    expected = {local.replace(tzinfo=reference, fold=fold).utcoffset() for fold in (0, 1)}
    return not written & expected


def local_dates_to_search(day: dt.date) -> tuple[dt.date, dt.date]:
    """Local dates (start, end) to ask Happywhale for to find every encounter starting in UTC `day`.

    A UTC day [D 00:00, D+1 00:00) is local D-1 12:00 (UTC-12) to D+1 14:00 (UTC+14), so the
    local dates D-1..D+1 are needed. The end is D+2 so that D+1 is covered whether the
    service treats the end date as inclusive or exclusive; the extra rows are filtered out
    by the UTC-day rule afterwards.
    """
    return day - dt.timedelta(days=1), day + dt.timedelta(days=2)


__all__ = [
    "local_dates_to_search",
    "local_to_utc",
    "localize_to_utc",
    "offsets_disagree_with_zone",
    "parse_local_times",
    "parse_timezone",
]
