"""Raven Pro selection tables: detected song as boxes on the archive's day file.

A selection is a run of model windows whose median-filtered score is at or above the threshold;
it spans from the first window's start to the last window's end. Times are seconds since
00:00:00 UTC of the day, so Raven opens the table directly on `MARS-YYYYMMDDT000000Z-16kHz.wav`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from whale_assets.core.audio.sift import SiftParameters
from whale_assets.core.hydrophone import day_file_key
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.pooling import filtered_by_stretch
from whale_assets.core.scoring.track import infer_step_ns
from whale_assets.core.utc import NS_PER_S, naive_utc_ns

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
    "Score",
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
    "score",
    "encounter_id",
)
# What the stored table's columns mean (its `date` column added by `as_stored_table`).
TABLE_COLUMN_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the partition",
    "selection": "Raven selection number, 1-based in time order",
    "view": "Raven view (Spectrogram 1)",
    "channel": "Audio channel (1)",
    "begin_time_s": "Selection start, seconds from the start of the day file",
    "end_time_s": "Selection end, seconds from the start of the day file",
    "low_freq_hz": "Selection box bottom, Hz",
    "high_freq_hz": "Selection box top, Hz",
    "begin_file": "The archive day file the times refer to",
    "file_offset_s": "Selection start, seconds into begin_file",
    "begin_date_time": "Selection start, UTC",
    "score": "Highest median-filtered score in the selection, 0-1",
    "encounter_id": "Encounter of the window it was found in; empty for full-day scores",
}
VIEW = "Spectrogram 1"
CHANNEL = 1
# The band the pipeline sifts for song energy: where the detections were looked for.
LOW_FREQ_HZ = SiftParameters.lowcut_hz
HIGH_FREQ_HZ = SiftParameters.highcut_hz
WINDOW_S = WindowGrid().context_s  # 3.9124 s: what one score judged
RAVEN_DATE_TIME = "%Y/%m/%d %H:%M:%S.%f"


@dataclass(frozen=True)
class Selection:
    begin_utc: pd.Timestamp  # naive UTC
    end_utc: pd.Timestamp
    score: float  # the highest median-filtered score in the run
    encounter_id: str  # "" for runs found in the full-day scores


def detected_runs(
    times_utc: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    kernel: int,
    window_s: float = WINDOW_S,
    encounter_id: str = "",
) -> list[Selection]:
    """The runs of consecutive windows whose median-filtered score is >= `threshold`.

    The filter runs on each stretch of consecutive windows on its own (as `detect` does), and a run
    never bridges a gap in the windows.
    """
    times = np.asarray(times_utc, dtype="datetime64[ns]")
    order = np.argsort(times, kind="stable")
    times, values = times[order], np.asarray(scores, dtype=np.float64)[order]
    if times.size == 0:
        return []
    step_ns = infer_step_ns(times)
    filtered = filtered_by_stretch(times, values, step_ns, kernel)
    above = filtered >= threshold
    ns = times.astype(np.int64)
    gap = np.zeros(times.size, dtype=bool)
    if step_ns is not None:
        gap[1:] = np.diff(ns) > step_ns + step_ns // 2
    starts = above & (~np.r_[False, above[:-1]] | gap)
    run_ids = np.cumsum(starts)
    window = np.timedelta64(round(window_s * NS_PER_S), "ns")
    runs = []
    for run in np.unique(run_ids[above]):
        members = np.flatnonzero(above & (run_ids == run))
        runs.append(
            Selection(
                pd.Timestamp(times[members[0]]),
                pd.Timestamp(times[members[-1]] + window),
                float(filtered[members].max()),
                encounter_id,
            )
        )
    return runs


def raven_file_name(day: dt.date) -> str:
    """`MARS-YYYYMMDDT000000Z-16kHz.Table.1.selections.txt`: Raven's own naming for a sound's table."""
    sound = day_file_key(day).rsplit("/", 1)[-1]
    return f"{sound.removesuffix('.wav')}.Table.1.selections.txt"


def selection_table(
    day: dt.date, selections: Sequence[Selection], low_hz: float = LOW_FREQ_HZ, high_hz: float = HIGH_FREQ_HZ
) -> pd.DataFrame:
    """One row per selection in time order, with the Raven columns (`RAVEN_COLUMNS`)."""
    midnight = naive_utc_ns(pd.Timestamp(day))
    ordered = sorted(selections, key=lambda s: (s.begin_utc, s.encounter_id))
    begin = [(naive_utc_ns(s.begin_utc) - midnight) / np.timedelta64(1, "s") for s in ordered]
    end = [(naive_utc_ns(s.end_utc) - midnight) / np.timedelta64(1, "s") for s in ordered]
    table = pd.DataFrame(
        {
            "Selection": np.arange(1, len(ordered) + 1, dtype=np.int64),
            "View": VIEW,
            "Channel": CHANNEL,
            "Begin Time (s)": np.round(np.asarray(begin, dtype=np.float64), 6),
            "End Time (s)": np.round(np.asarray(end, dtype=np.float64), 6),
            "Low Freq (Hz)": float(low_hz),
            "High Freq (Hz)": float(high_hz),
            "Begin File": day_file_key(day).rsplit("/", 1)[-1],
            "File Offset (s)": np.round(np.asarray(begin, dtype=np.float64), 6),
            "Begin Date Time": [s.begin_utc.strftime(RAVEN_DATE_TIME)[:-3] for s in ordered],
            "Score": np.round([s.score for s in ordered], 6),
            "Encounter ID": [s.encounter_id for s in ordered],
        },
        columns=list(RAVEN_COLUMNS),
    )
    return table.astype({"Channel": "int64", "Begin File": "string", "Encounter ID": "string", "View": "string"})


def raven_text(table: pd.DataFrame) -> bytes:
    """The tab-separated text Raven reads (header line, one line per selection)."""
    return table.to_csv(sep="\t", index=False, lineterminator="\n").encode()


def as_stored_table(day: dt.date, table: pd.DataFrame) -> pd.DataFrame:
    """The selection table with SQL-friendly column names and a `date` column, for the table store."""
    stored = table.rename(columns=dict(zip(RAVEN_COLUMNS, TABLE_COLUMNS, strict=True)))
    stored.insert(0, "date", pd.Timestamp(day).as_unit("us"))
    return stored
