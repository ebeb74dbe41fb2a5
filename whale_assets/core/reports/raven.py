"""Raven Pro selection tables: detected song as boxes on the archive's day files.

A selection is a run of model windows whose median-filtered score is at or above the threshold;
it spans from the first window's start to the last window's end. Runs that overlap (encounters
sharing a window, an encounter window and the full-day scores) are one event, one row. Every row
lies inside the day file it names (`Begin File`, `File Offset (s)`): an event crossing 00:00 UTC is
split there, one row per file. A Raven table describes one sound file, so a day's events become
one table per day file they touch (`tables_by_file`): the day's own file, and the next (or
previous) day's file for the parts past midnight; in each, `Begin Time (s)` equals `File Offset (s)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from whale_assets.core.audio.sift import SiftParameters
from whale_assets.core.hydrophone import day_file_key
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.pooling import DetectionRule, filtered_by_stretch, stretch_starts
from whale_assets.core.scoring.track import infer_step_ns
from whale_assets.core.utc import NS_PER_S, naive_utc

RAVEN_COLUMNS = (
    "Selection",
    "View",
    "Channel",
    "Begin Time (s)",
    "End Time (s)",
    "Low Freq (Hz)",
    "High Freq (Hz)",
    "Begin File",
    "File Offset (s)",
    "Begin Date Time",
    "Common Name",
    "Scientific Name",
    "Confidence",
    "Source",
    "Encounter ID",
)
# The table partition's column names for the same fields (SQL-friendly), in the same order.
TABLE_COLUMNS = (
    "selection",
    "view",
    "channel",
    "begin_time_s",
    "end_time_s",
    "low_freq_hz",
    "high_freq_hz",
    "begin_file",
    "file_offset_s",
    "begin_date_time",
    "common_name",
    "scientific_name",
    "confidence",
    "source",
    "encounter_id",
)
# What the stored table's columns mean (its `date` column added by `as_stored_table`).
TABLE_COLUMN_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the partition",
    "selection": "Raven selection number, 1-based in time order within its begin_file's table",
    "view": "Raven view (Spectrogram 1)",
    "channel": "Audio channel (1)",
    "begin_time_s": "Selection start, seconds into begin_file (Raven's time on that sound)",
    "end_time_s": "Selection end, seconds into begin_file (at most 86400)",
    "low_freq_hz": "Selection box bottom, Hz",
    "high_freq_hz": "Selection box top, Hz",
    "begin_file": "The archive day file the selection lies in",
    "file_offset_s": "Selection start, seconds into begin_file (0 to 86400 minus its duration)",
    "begin_date_time": "Selection start, UTC",
    "common_name": "Species detected (Humpback Whale)",
    "scientific_name": "Species detected, scientific name",
    "confidence": "Highest median-filtered score in the selection, 0-1",
    "source": "Which scores found it: encounter (an encounter window), daily_scores (the full-day scores) or both",
    "encounter_id": "Encounters whose window holds the selection, ';'-separated; empty for full-day scores only",
}
VIEW = "Spectrogram 1"
CHANNEL = 1
COMMON_NAME = "Humpback Whale"
SCIENTIFIC_NAME = "Megaptera novaeangliae"
SOURCE_ENCOUNTER = "encounter"
SOURCE_DAILY_SCORES = "daily_scores"
ENCOUNTER_ID_SEPARATOR = ";"
DAY_FILE_S = 86_400.0  # an archive day file: 00:00:00 to 24:00:00 UTC
# The band the pipeline sifts for song energy: where the detections were looked for.
LOW_FREQ_HZ = SiftParameters.lowcut_hz
HIGH_FREQ_HZ = SiftParameters.highcut_hz
WINDOW_S = WindowGrid().context_s  # 3.9124 s: what one score judged
RAVEN_DATE_TIME = "%Y/%m/%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Selection:
    """One detected event in UTC; `sources` and `encounter_ids` sorted, without repeats."""

    begin_utc: pd.Timestamp  # naive UTC
    end_utc: pd.Timestamp
    score: float  # the highest median-filtered score in the event
    encounter_ids: tuple[str, ...] = ()  # empty for runs found in the full-day scores only
    sources: tuple[str, ...] = (SOURCE_ENCOUNTER,)


def detected_runs(
    times_utc: np.ndarray,
    scores: np.ndarray,
    rule: DetectionRule,
    window_s: float = WINDOW_S,
    encounter_ids: Sequence[str] = (),
    source: str = SOURCE_ENCOUNTER,
) -> list[Selection]:
    """The runs of consecutive windows whose median-filtered score reaches `rule`'s threshold.

    The filter runs on each stretch of consecutive windows on its own (as `detect` does), and a run
    never bridges a gap in the windows.
    """
    times = np.asarray(times_utc, dtype="datetime64[ns]")
    order = np.argsort(times, kind="stable")
    times, values = times[order], np.asarray(scores, dtype=np.float64)[order]
    if times.size == 0:
        return []
    step_ns = infer_step_ns(times)
    filtered = filtered_by_stretch(times, values, step_ns, rule.median_filter_windows)
    above = filtered >= rule.threshold
    starts = above & (~np.r_[False, above[:-1]] | stretch_starts(times, step_ns))
    run_ids = np.cumsum(starts)
    window = np.timedelta64(round(window_s * NS_PER_S), "ns")
    ids = tuple(sorted(set(encounter_ids)))
    runs = []
    for run in np.unique(run_ids[above]):
        members = np.flatnonzero(above & (run_ids == run))
        begin, end = pd.Timestamp(times[members[0]]), pd.Timestamp(times[members[-1]] + window)
        runs.append(Selection(begin, end, float(filtered[members].max()), ids, (source,)))
    return runs


def merged_events(selections: Iterable[Selection]) -> list[Selection]:
    """Overlapping selections as one event each (union of time, ids and sources; highest score), in time order.

    Selections that only touch (one ends where the next begins) stay apart: they do not overlap.
    """
    events: list[Selection] = []
    for selection in sorted(selections, key=lambda s: (s.begin_utc, s.end_utc)):
        if events and selection.begin_utc < events[-1].end_utc:
            last = events[-1]
            events[-1] = Selection(
                last.begin_utc,
                max(last.end_utc, selection.end_utc),
                max(last.score, selection.score),
                tuple(sorted(set(last.encounter_ids) | set(selection.encounter_ids))),
                tuple(sorted(set(last.sources) | set(selection.sources))),
            )
        else:
            events.append(selection)
    return events


@dataclass(frozen=True)
class FilePiece:
    """The part of an event that lies in one day file."""

    file_day: dt.date
    begin_utc: pd.Timestamp
    end_utc: pd.Timestamp
    event: Selection


def split_at_midnight(event: Selection) -> list[FilePiece]:
    """The event cut at each 00:00 UTC it crosses: one piece per day file, each inside its file."""
    pieces = []
    begin = naive_utc(event.begin_utc)
    end = naive_utc(event.end_utc)
    while begin < end:
        next_midnight = begin.normalize() + pd.Timedelta(days=1)
        piece_end = min(end, next_midnight)
        pieces.append(FilePiece(begin.date(), begin, piece_end, event))
        begin = piece_end
    return pieces


def raven_file_name(day: dt.date) -> str:
    """`MARS-YYYYMMDDT000000Z-16kHz.Table.1.selections.txt`: Raven's own naming for a sound's table."""
    return f"{day_file_name(day).removesuffix('.wav')}.Table.1.selections.txt"


def day_file_name(day: dt.date) -> str:
    """The archive's file of a UTC day: `MARS-YYYYMMDDT000000Z-16kHz.wav`."""
    return day_file_key(day).rsplit("/", 1)[-1]


def selection_table(
    day: dt.date, selections: Sequence[Selection], low_hz: float = LOW_FREQ_HZ, high_hz: float = HIGH_FREQ_HZ
) -> pd.DataFrame:
    """One row per event and day file, with the Raven columns (`RAVEN_COLUMNS`).

    Rows are in time order; times are seconds into the row's `Begin File`, and `Selection` is
    numbered 1..N within each file's rows (each file's rows are one Raven table, `tables_by_file`).
    `day` is the table's own day: its file's table exists even without rows.
    """
    pieces = [piece for event in merged_events(selections) for piece in split_at_midnight(event)]

    def seconds(value: pd.Timestamp, file_day: dt.date) -> float:
        return (value - pd.Timestamp(file_day)) / pd.Timedelta(seconds=1)

    files = [day_file_name(p.file_day) for p in pieces]
    table = pd.DataFrame(
        {
            "Selection": pd.Series(files, dtype=object).groupby(files).cumcount().to_numpy(np.int64) + 1
            if pieces
            else np.array([], np.int64),
            "View": VIEW,
            "Channel": CHANNEL,
            "Begin Time (s)": np.round([seconds(p.begin_utc, p.file_day) for p in pieces], 6),
            "End Time (s)": np.round([seconds(p.end_utc, p.file_day) for p in pieces], 6),
            "Low Freq (Hz)": float(low_hz),
            "High Freq (Hz)": float(high_hz),
            "Begin File": files,
            "File Offset (s)": np.round([seconds(p.begin_utc, p.file_day) for p in pieces], 6),
            "Begin Date Time": [p.begin_utc.strftime(RAVEN_DATE_TIME)[:-3] for p in pieces],
            "Common Name": COMMON_NAME,
            "Scientific Name": SCIENTIFIC_NAME,
            "Confidence": np.round([p.event.score for p in pieces], 6),
            "Source": ["+".join(p.event.sources) for p in pieces],
            "Encounter ID": [ENCOUNTER_ID_SEPARATOR.join(p.event.encounter_ids) for p in pieces],
        },
        columns=list(RAVEN_COLUMNS),
    )
    text = ("View", "Begin File", "Begin Date Time", "Common Name", "Scientific Name", "Source", "Encounter ID")
    floats = ("Begin Time (s)", "End Time (s)", "File Offset (s)", "Confidence")
    table = table.astype(
        {"Selection": "int64", "Channel": "int64", **dict.fromkeys(floats, "float64"), **dict.fromkeys(text, "string")}
    )
    return table


def tables_by_file(day: dt.date, table: pd.DataFrame) -> dict[dt.date, pd.DataFrame]:
    """The rows of each day file as its own Raven table, by file day; `day`'s own file always has one."""
    by_file = {day: table.iloc[:0]}
    for name, rows in table.groupby("Begin File", sort=True):
        by_file[file_day_of(str(name))] = rows.reset_index(drop=True)
    return dict(sorted(by_file.items()))


def file_day_of(name: str) -> dt.date:
    """The UTC day of an archive day file name (`MARS-YYYYMMDDT000000Z-16kHz.wav`)."""
    return dt.datetime.strptime(name.removeprefix("MARS-")[:8], "%Y%m%d").date()


def raven_text(table: pd.DataFrame) -> bytes:
    """The tab-separated text Raven reads (header line, one line per selection)."""
    return table.to_csv(sep="\t", index=False, lineterminator="\n").encode()


def as_stored_table(day: dt.date, table: pd.DataFrame) -> pd.DataFrame:
    """The selection table with SQL-friendly column names and a `date` column, for the table store."""
    stored = table.rename(columns=dict(zip(RAVEN_COLUMNS, TABLE_COLUMNS, strict=True)))
    stored.insert(0, "date", pd.Timestamp(day).as_unit("us"))
    return stored
