"""The `encounter_clips` table: where each encounter's clips are; joins `whale_results` on (date, encounter_id).

One row per encounter; encounters that share an audio window share its clip files (same paths).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

CLIP_DTYPES: dict[str, str] = {
    "date": "datetime64[us]",
    "encounter_id": "string",
    "window_id": "string",
    "clip_path": "string",
    "listening_path": "string",
    "listening_peak_dbfs": "float64",
    "clip_start_utc": "datetime64[us]",
    "clip_seconds": "float64",
    "peak_score_utc": "datetime64[us]",
    "pooled_score": "float64",
}
CLIP_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the partition",
    "encounter_id": "Happywhale encounter id (join whale_results on date, encounter_id)",
    "window_id": "The audio window the clip was cut from",
    "clip_path": "The archival clip: the archive's 24-bit samples as 16 kHz FLAC, DC offset kept (shared by a window's encounters)",
    "listening_path": "The listening copy: DC removed, peak normalised to listening_peak_dbfs, 50 ms fades, 16-bit FLAC",
    "listening_peak_dbfs": "Peak of the listening copy, dBFS",
    "clip_start_utc": "Clip start, UTC",
    "clip_seconds": "Clip length, seconds",
    "peak_score_utc": "Window start of the median-filtered score peak the clip is centred on, UTC (none without scores)",
    "pooled_score": "The window's pooled score, 0-1",
}


@dataclass(frozen=True)
class EncounterClip:
    encounter_id: str
    window_id: str
    clip_path: str
    listening_path: str
    listening_peak_dbfs: float
    clip_start_utc: pd.Timestamp  # naive UTC
    clip_seconds: float
    peak_score_utc: pd.Timestamp | None  # centre of the clip; None for a window without scores
    pooled_score: float


def clip_table(day: dt.date, clips: Sequence[EncounterClip]) -> pd.DataFrame:
    rows = [{"date": pd.Timestamp(day), **asdict(clip)} for clip in clips]
    return pd.DataFrame(rows, columns=list(CLIP_DTYPES)).astype(CLIP_DTYPES)
