"""From a Happywhale export table to the platform's encounters table for one UTC day.

Every input row either ends up in the table or is counted under exactly one reason, the
first that applies in this order: species, id, position, start time, UTC day, radius,
duplicate id. Nothing is dropped silently.

Duplicates (the same encounter in overlapping export files) collapse to one row per id: the
copy with the most non-blank export fields, ties going to the first in input order (the
first file in sorted path order, see `sources.encounter_exports`).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd

from whale_assets.core.encounters.geo import great_circle_km
from whale_assets.core.encounters.local_time import (
    localize_to_utc,
    offsets_disagree_with_zone,
    parse_local_times,
)
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE, MARS_TIMEZONE

# Column order of happywhale 0.0.3's CSV export (`geometry_search(..., export="x.csv")`).
EXPORT_COLUMNS: list[str] = [
    "latitude",
    "longitude",
    "approved",
    "attrs",
    "startDate",
    "startTime",
    "endDate",
    "endTime",
    "timezone",
    "displayImgId",
    "displayThumbUrl",
    "displayImgType",
    "displayImgUrl",
    "id",
    "accuracy",
    "precision",
    "displayImgLicense",
    "maxCount",
    "minCount",
    "orgIds",
    "public",
    "region",
    "species",
    "system:time_start",
]
# What select_encounters reads; a file without these is not an encounter export.
REQUIRED_EXPORT_COLUMNS: list[str] = [
    "latitude",
    "longitude",
    "startDate",
    "startTime",
    "endDate",
    "endTime",
    "timezone",
    "displayImgUrl",
    "id",
    "species",
]

ENCOUNTER_DTYPES: dict[str, str] = {
    "date": "datetime64[ns]",
    "encounter_id": "object",
    "species": "object",
    "latitude": "float64",
    "longitude": "float64",
    "distance_km": "float64",
    "start_utc": "datetime64[ns]",
    "end_utc": "datetime64[ns]",
    "encounter_img_url": "object",
    "timezone": "object",
    "start_local": "object",
    # The written offset is applied as given, but the position's zone has another one then.
    "timezone_suspect": "bool",
    # The written end was more than the duration cap after the start; end_utc is start + cap.
    "duration_clipped": "bool",
}
ENCOUNTER_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day the encounter starts (the partition)",
    "encounter_id": "Happywhale encounter id",
    "species": "Happywhale species code",
    "latitude": "Encounter latitude, degrees north",
    "longitude": "Encounter longitude, degrees east",
    "distance_km": "Great-circle distance from the MARS hydrophone, km",
    "start_utc": "Encounter start, UTC",
    "end_utc": "Encounter end, UTC (the start when none was given; start + cap when too long)",
    "encounter_img_url": "Happywhale photo of the encounter",
    "timezone": "UTC offset or zone the local times were written in",
    "start_local": "Start as written, local time",
    "timezone_suspect": "The written offset differs from the position's zone at that time",
    "duration_clipped": "The written end was more than the duration cap after the start",
}

DROP_REASONS: list[str] = [
    "dropped_missing_species",
    "other_species",
    "dropped_missing_id",
    "dropped_missing_position",
    "dropped_unparseable_position",
    "dropped_missing_time",
    "dropped_unparseable_time",
    "outside_day",
    "outside_radius",
    "duplicate_id",
]
# Kept rows whose end had to be derived or whose offset looks mistyped; informative, not drops.
END_NOTES: list[str] = [
    "end_missing_used_start",
    "end_unparseable_used_start",
    "end_before_start_clamped",
    "duration_clipped",
]
# Longer "encounters" are typing slips (an end date a day or centuries late); their window would
# swallow the day and its neighbours' windows.
DEFAULT_MAX_DURATION_S = 6 * 3600.0
ZONE_NOTES: list[str] = ["timezone_suspect"]


@dataclass(frozen=True)
class EncounterSelection:
    """The day's encounters (`ENCOUNTER_DTYPES`) and how many input rows went where."""

    table: pd.DataFrame
    counts: dict[str, int]


def empty_export() -> pd.DataFrame:
    """Zero-row export table: every export column, as strings."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in EXPORT_COLUMNS})


def empty_encounters() -> pd.DataFrame:
    """Zero-row encounters table with exactly `ENCOUNTER_DTYPES` (DuckDB needs stable types)."""
    return pd.DataFrame({c: pd.Series(dtype=d) for c, d in ENCOUNTER_DTYPES.items()})


def _check_structure(path: str) -> None:
    """Raise ValueError at the first record whose field count differs from the header's.

    pandas pads short rows with NaN without a word, so the check is done here first.
    """
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle, strict=True)
            width = None
            for record in reader:
                if not record:
                    continue  # blank lines, as pandas skips them
                if width is None:
                    width = len(record)
                elif len(record) != width:
                    raise ValueError(
                        f"{path}: line {reader.line_num}: expected {width} fields as in the header, "
                        f"found {len(record)}. The export is malformed (truncated or edited?): "
                        "re-export it from Happywhale, or fix or remove that line, then run again."
                    )
    except csv.Error as exc:
        raise ValueError(
            f"{path}: line {reader.line_num}: not valid CSV ({exc}). Re-export it from Happywhale, "
            "or fix that line, then run again."
        ) from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc}); is it really a Happywhale CSV export?") from exc


def read_export_csv(path: str | PathLike[str]) -> pd.DataFrame:
    """One Happywhale CSV export, every column as text (empty -> NaN).

    An empty file (happywhale writes just a newline when nothing matched) gives a zero-row
    table; a malformed file raises ValueError naming the file and line. Export columns that
    are absent are added as NaN so tables from several files concatenate cleanly.
    """
    path = str(path)
    _check_structure(path)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=True, encoding="utf-8")
    except pd.errors.EmptyDataError:
        return empty_export()
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path}: cannot be parsed as CSV ({exc}); re-export it from Happywhale.") from exc
    return export_columns(
        table, REQUIRED_EXPORT_COLUMNS, f"{path}: line 1: header lacks Happywhale export columns", "csv"
    )


def export_columns(table: pd.DataFrame, required: list[str], problem: str, extension: str) -> pd.DataFrame:
    """`table` with the export's columns in order (absent ones as NaN, others after them), as text.

    Raises ValueError `problem` + the missing names when a `required` column is absent.
    """
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"{problem} {missing}; is this a `geometry_search(..., export='*.{extension}')` file?")
    extra = [c for c in table.columns if c not in EXPORT_COLUMNS]
    return table.reindex(columns=EXPORT_COLUMNS + extra).astype(object)


def _text(column: pd.Series) -> pd.Series:
    """Stripped strings, with missing and blank values as None (computed once per distinct value)."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    cleaned = [str(value).strip() or None for value in uniques] + [None]
    return pd.Series(np.array(cleaned, dtype=object)[codes], index=column.index, dtype=object)


def select_encounters(
    export: pd.DataFrame,
    day: dt.date,
    radius_km: float = 20.0,
    species: str = "humpback_whale",
    center: tuple[float, float] = (MARS_LATITUDE, MARS_LONGITUDE),
    center_zone: str = MARS_TIMEZONE,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
) -> EncounterSelection:
    """The `species` encounters that start within UTC `day` within `radius_km` of `center`.

    `center_zone` is the IANA zone kept rows' written offsets are checked against. An encounter
    lasting longer than `max_duration_s` is kept, ending at start + `max_duration_s`.
    """
    if not (radius_km > 0 and np.isfinite(radius_km)):
        raise ValueError(f"radius_km must be a positive finite number, got {radius_km!r}")
    if not (max_duration_s > 0 and np.isfinite(max_duration_s)):
        raise ValueError(f"max_duration_s must be a positive finite number of seconds, got {max_duration_s!r}")
    missing_columns = [c for c in REQUIRED_EXPORT_COLUMNS if c not in export.columns]
    if missing_columns:
        raise ValueError(f"export table lacks Happywhale export columns {missing_columns}")
    counts = {"read": len(export), **{k: 0 for k in DROP_REASONS + END_NOTES + ZONE_NOTES}, "kept": 0}
    frame = export.reset_index(drop=True)
    col = {c: _text(frame[c]) for c in REQUIRED_EXPORT_COLUMNS}

    lat = pd.to_numeric(col["latitude"], errors="coerce")
    lon = pd.to_numeric(col["longitude"], errors="coerce")
    bad_position = ~(lat.between(-90, 90) & lon.between(-180, 180))  # NaN and inf fail too
    missing_time = col["startDate"].isna() | col["startTime"].isna() | col["timezone"].isna()
    start_local = parse_local_times(col["startDate"], col["startTime"])
    start = localize_to_utc(start_local, col["timezone"])
    day_start = pd.Timestamp(day, tz="UTC")
    distance = pd.Series(great_circle_km(center[0], center[1], lat.to_numpy(), lon.to_numpy()), index=frame.index)

    # Each row is charged to the first reason that applies, so the counts add up to `read`.
    reasons = [
        ("dropped_missing_species", col["species"].isna()),
        ("other_species", col["species"] != species),
        ("dropped_missing_id", col["id"].isna()),
        ("dropped_missing_position", col["latitude"].isna() | col["longitude"].isna()),
        ("dropped_unparseable_position", bad_position),
        ("dropped_missing_time", missing_time),
        ("dropped_unparseable_time", start.isna()),
        ("outside_day", (start < day_start) | (start >= day_start + pd.Timedelta(days=1))),
        ("outside_radius", distance > radius_km),
    ]
    alive = pd.Series(True, index=frame.index)
    for name, drop in reasons:
        hit = alive & drop.fillna(True).astype(bool)
        counts[name] = int(hit.sum())
        alive &= ~hit
    duplicate = _duplicates(frame, col["id"], alive)
    counts["duplicate_id"] = int(duplicate.sum())
    keep = alive & ~duplicate

    start_kept = start[keep]
    end = _end_times(col, keep, start_kept, counts)
    longest = start_kept + pd.Timedelta(seconds=max_duration_s)
    clipped = end > longest
    end = end.where(~clipped, longest)
    counts["duration_clipped"] = int(clipped.sum())
    # Kept rows lie within radius_km of the centre, so the centre's zone is their position's zone.
    suspect = offsets_disagree_with_zone(start_local[keep], col["timezone"][keep], center_zone)
    counts["timezone_suspect"] = int(suspect.sum())
    table = pd.DataFrame(
        {
            "date": pd.Timestamp(day),
            "encounter_id": col["id"][keep],
            "species": col["species"][keep],
            "latitude": lat[keep],
            "longitude": lon[keep],
            "distance_km": distance[keep],
            "start_utc": start_kept.dt.tz_localize(None),
            "end_utc": end.dt.tz_localize(None),
            "encounter_img_url": col["displayImgUrl"][keep],
            "timezone": col["timezone"][keep],
            "start_local": start_local[keep].dt.strftime("%Y-%m-%d %H:%M:%S"),
            "timezone_suspect": suspect,
            "duration_clipped": clipped,
        },
        columns=list(ENCOUNTER_DTYPES),
    )
    table = table.astype(ENCOUNTER_DTYPES).sort_values(["start_utc", "encounter_id"], kind="stable")
    counts["kept"] = len(table)
    return EncounterSelection(table=table.reset_index(drop=True) if len(table) else empty_encounters(), counts=counts)


def _duplicates(frame: pd.DataFrame, ids: pd.Series, alive: pd.Series) -> pd.Series:
    """Alive rows whose id has a better alive copy: more non-blank fields, or as many and earlier."""
    repeated = alive & ids.where(alive).duplicated(keep=False)
    if not repeated.any():
        return pd.Series(False, index=frame.index)
    copies = frame.loc[repeated]
    information = sum(_text(copies[c]).notna().astype(int) for c in copies.columns)
    best = information.groupby(ids[repeated], sort=False).idxmax()  # the first of equals wins
    return repeated & ~frame.index.isin(best.to_numpy())


def _end_times(col: dict[str, pd.Series], keep: pd.Series, start: pd.Series, counts: dict[str, int]) -> pd.Series:
    """End instants of the kept rows: start when missing or unparseable, never before start."""
    missing = (col["endDate"].isna() | col["endTime"].isna())[keep]
    end = localize_to_utc(parse_local_times(col["endDate"][keep], col["endTime"][keep]), col["timezone"][keep])
    unparseable = ~missing & end.isna()
    before = ~missing & ~unparseable & (end < start)
    counts["end_missing_used_start"] = int(missing.sum())
    counts["end_unparseable_used_start"] = int(unparseable.sum())
    counts["end_before_start_clamped"] = int(before.sum())
    return end.where(~(missing | unparseable | before), start)
