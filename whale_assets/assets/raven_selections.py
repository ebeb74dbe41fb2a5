"""`raven_selections`: one Raven Pro selection table per UTC day, on the archive's day file."""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue
from pydantic import Field

from whale_assets.assets.daily import DERIVED_TABLE, daily_asset
from whale_assets.assets.detection import DetectionConfig
from whale_assets.assets.provenance import partition_provenance, settings_metadata
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.reports.raven import (
    HIGH_FREQ_HZ,
    LOW_FREQ_HZ,
    SOURCE_DAILY_SCORES,
    SOURCE_ENCOUNTER,
    WINDOW_S,
    Selection,
    as_stored_table,
    detected_runs,
    raven_file_name,
    raven_text,
    selection_table,
    tables_by_file,
)
from whale_assets.core.tables.provenance import with_provenance
from whale_assets.core.utc import Day
from whale_assets.resources import FileStore, FingerprintStore, StoredTables
from whale_assets.storage.window_arrays import StoredWindows

# 2: one row per event, one table per day file it touches, BirdNET's species columns, `Source`
# (1: one row per run and encounter, times past the day file's end).
TABLE_LAYOUT = 2


class RavenConfig(DetectionConfig):
    low_freq_hz: float = Field(
        LOW_FREQ_HZ, ge=0, le=ARCHIVE_SAMPLE_RATE / 2, description="Selection box bottom (default: the sift band)"
    )
    high_freq_hz: float = Field(
        HIGH_FREQ_HZ, gt=0, le=ARCHIVE_SAMPLE_RATE / 2, description="Selection box top (default: the sift band)"
    )
    include_daily_scores: bool = Field(
        True,
        description="Add the runs of the day's stored daily_scores (if materialized); Source names where a row was found",
    )


def _layout_and_daily_scores(config: RavenConfig, fingerprints: FingerprintStore, day: Day) -> dict[str, object]:
    """The table layout (tables written in an older one are rewritten) and the day's daily_scores read."""
    day_print = fingerprints.get_output("daily_scores", day.isoformat()) if config.include_daily_scores else None
    return {"daily_scores": day_print, "layout": TABLE_LAYOUT}


@daily_asset(DERIVED_TABLE, fingerprint_extra=_layout_and_daily_scores, group_name="deliverables")
def raven_selections(
    context: AssetExecutionContext,
    config: RavenConfig,
    day: Day,
    classifications: StoredWindows,
    raven: FileStore,
    stored_tables: StoredTables,
) -> pd.DataFrame:
    """Detected runs of each encounter window (and of the full-day scores) as a Raven selection table.

    Overlapping runs are one row (all encounter ids, `Source` naming where they were found); a run
    crossing 00:00 UTC is one row per day file (see `core/reports/raven.py`).

    The day's `daily_scores` are read through `stored_tables`, not as an input (an input would pull
    full-day scoring into this job); their fingerprint is part of this partition's fingerprint.
    """
    selections: list[Selection] = []
    for window in classifications:
        track = classifications.load(window.window_id)
        if track is None or track.size == 0:
            continue
        # One run for every encounter sharing the window: merged into one row with all their ids.
        selections += detected_runs(
            track["start_utc"],
            track["score"],
            config.rule,
            window.context_s or WINDOW_S,
            window.encounter_ids,
            SOURCE_ENCOUNTER,
        )
    day_rows = stored_tables.read_day("daily_scores", day) if config.include_daily_scores else None
    if day_rows is not None and len(day_rows):
        selections += detected_runs(
            day_rows["time_utc"].to_numpy("datetime64[ns]"),
            day_rows["score"].to_numpy("float64"),
            config.rule,
            source=SOURCE_DAILY_SCORES,
        )
    table = selection_table(day, selections, config.low_freq_hz, config.high_freq_hz)
    paths = _write_tables(raven, day.key, tables_by_file(day, table))
    provenance = partition_provenance(context, classifications, config.rule)
    stored = with_provenance(as_stored_table(day, table), provenance)
    context.add_output_metadata(
        {
            "selections": len(table),
            "from_daily_scores": int(table["Source"].str.contains(SOURCE_DAILY_SCORES).sum()),
            "raven_file": MetadataValue.path(paths[raven_file_name(day)]),
            "raven_files": MetadataValue.json(sorted(paths.values())),
            **settings_metadata(context, provenance),
            **table_metadata("raven_selections", stored),
        }
    )
    return stored


def _write_tables(raven: FileStore, folder: str, tables: dict[dt.date, pd.DataFrame]) -> dict[str, str]:
    """Write one Raven table per day file (file name -> path) and remove the folder's other tables.

    A table left from an earlier write (e.g. a part past midnight that is gone now) would
    otherwise still be opened next to the sound it names.
    """
    paths = {
        raven_file_name(file_day): raven.write(f"{folder}/{raven_file_name(file_day)}", raven_text(rows))
        for file_day, rows in tables.items()
    }
    for name in raven.names(folder):
        # Only tables named as this asset names them: a table an analyst saved here (Table.2...) stays.
        if name.startswith("MARS-") and name.endswith(".Table.1.selections.txt") and name not in paths:
            raven.remove(f"{folder}/{name}")
    return paths
