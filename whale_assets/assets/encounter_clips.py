"""`encounter_clips`: per audio window, an archival and a listening FLAC around its detected peak; a row per encounter."""

from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext
from pydantic import Field
from upath import UPath

from whale_assets.assets.daily import DERIVED_TABLE, daily_asset
from whale_assets.assets.detection import DetectionConfig
from whale_assets.assets.provenance import partition_provenance, settings_metadata
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.audio.clips import (
    LISTENING_PEAK_DBFS,
    ClipTags,
    clip_file_name,
    clip_span,
    flac_bytes,
    listening_copy,
    listening_flac_bytes,
    listening_name,
)
from whale_assets.core.hydrophone import day_file_key
from whale_assets.core.reports.raven import WINDOW_S
from whale_assets.core.scoring.pooling import detect, pool_scores
from whale_assets.core.tables.clips import EncounterClip, clip_table
from whale_assets.core.tables.provenance import with_provenance
from whale_assets.core.utc import Day
from whale_assets.core.windows import WindowRecord
from whale_assets.resources import FileStore, StoredTables
from whale_assets.storage.names import safe_file_name
from whale_assets.storage.window_arrays import StoredWindows


class ClipConfig(DetectionConfig):
    clip_s: float = Field(30.0, gt=0, le=3600, description="Clip length in seconds (cut to the window's audio)")
    pooling: Literal["mean", "max", "median", "p90"] = Field("mean", description="The pooled score in the tags")
    listening_peak_dbfs: float = Field(
        LISTENING_PEAK_DBFS, ge=-60, le=0, description="Peak of the listening copy (DC removed, faded), dBFS"
    )


def _stored_clips_missing(stored_tables: StoredTables, day: Day) -> list[str]:
    """The clips (archival and listening copies) the day's stored rows name that are gone.

    A run killed after replacing the clips but before committing the table leaves rows naming
    removed clips under an unchanged fingerprint: such rows are not reused.
    """
    stored = stored_tables.read_day("encounter_clips", day)
    if stored is None:
        return []
    named = [path for column in ("clip_path", "listening_path") if column in stored for path in stored[column].dropna()]
    return [path for path in named if not UPath(path).exists()]


@daily_asset(DERIVED_TABLE, missing_files=_stored_clips_missing, group_name="deliverables")
def encounter_clips(
    context: AssetExecutionContext,
    config: ClipConfig,
    day: Day,
    raw_audio: StoredWindows,
    classifications: StoredWindows,
    clips: FileStore,
    stored_tables: StoredTables,
) -> pd.DataFrame:
    """Per window, 16 kHz FLAC clips centred on its median-filtered peak (the window's middle without
    scores): the archive's 24-bit samples, and a listening copy (DC removed, peak-normalised, faded).
    One row per encounter, sharing its window's files: join `whale_results` on (date, encounter_id)."""
    written: list[EncounterClip] = []
    for window in raw_audio:
        audio = raw_audio.load(window.window_id)
        if audio is None or audio.size == 0 or window.start_utc is None:
            continue
        track = classifications.load(window.window_id) if _has(classifications, window.window_id) else None
        written += _window_clips(day.key, config, window, audio, track, clips, day_file_key(day))
    kept = {clip.clip_path for clip in written} | {clip.listening_path for clip in written}
    removed = _remove_other_clips(clips, day.key, kept)
    provenance = partition_provenance(context, classifications, config.rule)
    table = with_provenance(clip_table(day, written), provenance)
    context.add_output_metadata(
        {
            "clips": len({clip.clip_path for clip in written}),
            "listening_peak_dbfs": config.listening_peak_dbfs,
            "stale_clips_removed": removed,
            **table_metadata("encounter_clips", table),
        }
    )
    context.add_output_metadata(settings_metadata(context, provenance))
    return table


def _remove_other_clips(store: FileStore, partition: str, keep: set[str]) -> int:
    """Remove the day's clips this run did not write (another clip length moves the start)."""
    folder = store.path(partition)
    if not folder.exists():
        return 0
    stale = [child for child in folder.iterdir() if child.name.endswith(".flac") and str(child) not in keep]
    for child in stale:
        child.unlink()
    return len(stale)


def _has(stored: StoredWindows, window_id: str) -> bool:
    return any(record.window_id == window_id for record in stored)


def _window_clips(
    partition: str,
    config: ClipConfig,
    window: WindowRecord,
    audio: np.ndarray,
    track: np.ndarray | None,
    store: FileStore,
    source_key: str,
) -> list[EncounterClip]:
    rate = window.required_sample_rate
    peak_utc, pooled = None, float("nan")
    if track is not None and track.size:
        detection = detect(track["score"], config.rule, track["start_utc"])
        peak_utc = pd.Timestamp(track["start_utc"][detection.peak_index])
        pooled = pool_scores(track["score"], config.pooling)
    centre = (
        peak_utc + pd.Timedelta(seconds=WINDOW_S / 2)
        if peak_utc is not None
        else window.start_utc + pd.Timedelta(seconds=audio.size / rate / 2)
    )
    span = clip_span(window.start_utc, audio.size, rate, centre, config.clip_s)
    piece = np.asarray(audio[span.first : span.stop])
    ids = ", ".join(window.encounter_ids)
    tags = ClipTags(
        title=f"encounter {ids}" if len(window.encounter_ids) == 1 else f"encounters {ids}",
        comment=f"start_utc={span.start_utc.isoformat()}Z pooled_score={pooled:.4f} source={source_key}",
        date=span.start_utc.isoformat() + "Z",
    )
    name = clip_file_name(safe_file_name("_".join(window.encounter_ids)), span.start_utc)
    path = store.write(f"{partition}/{name}", flac_bytes(piece, rate, tags))
    listening = replace(
        tags, comment=f"{tags.comment} listening_copy: DC removed, peak {config.listening_peak_dbfs:g} dBFS"
    )
    heard = listening_copy(piece, rate, config.listening_peak_dbfs)
    listening_path = store.write(f"{partition}/{listening_name(name)}", listening_flac_bytes(heard, rate, listening))
    return [
        EncounterClip(
            encounter_id,
            window.window_id,
            path,
            listening_path,
            config.listening_peak_dbfs,
            span.start_utc,
            span.n_samples / rate,
            peak_utc,
            pooled,
        )
        for encounter_id in window.encounter_ids
    ]
