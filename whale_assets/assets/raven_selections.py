"""`raven_selections`: one Raven Pro selection table per UTC day, on the archive's day file."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, asset
from pydantic import Field, field_validator

from whale_assets.assets.partitions import DAILY_TABLE, partition_day
from whale_assets.assets.policies import DUCKDB_WRITERS
from whale_assets.assets.reuse import ReusableConfig, check_reuse
from whale_assets.assets.run_config import reject_invalid_run_config
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.reports.raven import (
    HIGH_FREQ_HZ,
    LOW_FREQ_HZ,
    WINDOW_S,
    Selection,
    as_stored_table,
    detected_runs,
    raven_file_name,
    raven_text,
    selection_table,
)
from whale_assets.core.scoring.pooling import check_kernel
from whale_assets.resources import FileStore, FingerprintStore, StoredTables
from whale_assets.storage.window_arrays import StoredWindows


class RavenConfig(ReusableConfig):
    ASSET = "raven_selections"
    threshold: float = Field(0.5, ge=0, le=1, description="Median-filtered score at or above this is a selection")
    median_filter_windows: int = Field(5, ge=1, le=999, description="Median filter length in model windows (odd)")

    @field_validator("median_filter_windows")
    @classmethod
    def _odd(cls, windows: int) -> int:
        check_kernel(windows)
        return windows
    low_freq_hz: float = Field(LOW_FREQ_HZ, ge=0, le=ARCHIVE_SAMPLE_RATE / 2, description="Selection box bottom (default: the sift band)")
    high_freq_hz: float = Field(HIGH_FREQ_HZ, gt=0, le=ARCHIVE_SAMPLE_RATE / 2, description="Selection box top (default: the sift band)")
    include_daily_scores: bool = Field(
        True, description="Add the runs of the day's stored daily_scores (if materialized), Encounter ID empty"
    )


@asset(
    **DAILY_TABLE,
    kinds={"duckdb", "pandas"},
    group_name="deliverables",
    pool=DUCKDB_WRITERS,
)
def raven_selections(
    context: AssetExecutionContext,
    config: RavenConfig,
    classifications: StoredWindows,
    raven: FileStore,
    fingerprints: FingerprintStore,
    stored_tables: StoredTables,
) -> pd.DataFrame:
    """Detected runs of each encounter window (and of the full-day scores) as a Raven selection table.

    The day's `daily_scores` are read through `stored_tables`, not as an input (an input would pull
    full-day scoring into this job); their fingerprint is part of this partition's fingerprint.
    """
    reject_invalid_run_config(context)
    day = partition_day(context)
    day_print = fingerprints.get_output("daily_scores", context.partition_key) if config.include_daily_scores else None
    extra = {"daily_scores": day_print}
    if (reuse := check_reuse(context, fingerprints, config, ["classifications"], extra=extra)).reused:
        return reuse.placeholder
    selections: list[Selection] = []
    for window in classifications:
        track = classifications.load(window.window_id)
        if track is None or track.size == 0:
            continue
        window_s = window.context_s or WINDOW_S
        for encounter_id in window.encounter_ids or ("",):
            selections += detected_runs(
                track["start_utc"], track["score"], config.threshold, config.median_filter_windows, window_s, encounter_id
            )
    day_rows = stored_tables.read_day("daily_scores", day) if config.include_daily_scores else None
    if day_rows is not None and len(day_rows):
        selections += detected_runs(
            day_rows["time_utc"].to_numpy("datetime64[ns]"),
            day_rows["score"].to_numpy("float64"),
            config.threshold,
            config.median_filter_windows,
        )
    table = selection_table(day, selections, config.low_freq_hz, config.high_freq_hz)
    path = raven.write(f"{context.partition_key}/{raven_file_name(day)}", raven_text(table))
    stored = as_stored_table(day, table)
    context.add_output_metadata(
        {
            "selections": len(table),
            "from_daily_scores": int((table["Encounter ID"] == "").sum()),
            "raven_file": MetadataValue.path(path),
            **table_metadata("raven_selections", stored),
        }
    )
    return stored
