"""Asset checks on each stored day, run per partition in the same run as the asset they check.

They read what was stored (the `stored_tables` resource, the fingerprints beside the partitions
and the materialization's metadata), so a reused partition is checked like a recomputed one.
Blocking checks guard what downstream data would be wrong without: an ERROR there fails the run.
Partitioned checks (`partitions_def` on a check) are a preview feature of Dagster 1.13: used
knowingly (a check per day is what these are), so `daily_check` silences its PreviewWarning.
"""

import warnings
from collections.abc import Callable
from typing import Any

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    AssetRecordsFilter,
    AssetsDefinition,
    PreviewWarning,
    asset_check,
)

from whale_assets.assets.daily_scores import daily_scores
from whale_assets.assets.encounters import encounters
from whale_assets.assets.hourly_presence import hourly_presence
from whale_assets.assets.partitions import daily_partitions
from whale_assets.assets.whale_results import whale_results
from whale_assets.core.tables.quality import (
    Verdict,
    day_coverage,
    dropped_rows,
    exports_readable,
    one_row_per_hour,
    results_match_encounters,
)
from whale_assets.resources import FingerprintStore, StoredTables
from whale_assets.storage.metadata_keys import EXPORT_PROBLEMS_KEY, encounter_rows_key

DROPPED_ROWS_LIMIT = 0.2  # above this fraction of an export's rows dropped for bad data, warn
MIN_DAY_COVERAGE = 0.99  # of a full day's model windows scored; real days have short gaps
MATERIALIZATIONS_SEARCHED = 20  # reused runs record no row counts: look back this far for them
ROWS_READ_KEY = encounter_rows_key("read")


def _result(verdict: Verdict, severity: AssetCheckSeverity) -> AssetCheckResult:
    return AssetCheckResult(
        passed=verdict.passed, severity=severity, description=verdict.description, metadata=verdict.metadata
    )


def _day(context: AssetCheckExecutionContext):
    return daily_partitions.time_window_for_partition_key(context.partition_key).start.date()


def _stored(stored_tables: StoredTables, table: str, context: AssetCheckExecutionContext) -> pd.DataFrame:
    """The stored rows of `table` for the check's day (an empty day reads as no rows)."""
    rows = stored_tables.read_day(table, _day(context))
    return rows if rows is not None else pd.DataFrame()


def _computed_encounters_metadata(context: AssetCheckExecutionContext) -> dict[str, Any] | None:
    """The metadata of the newest `encounters` materialization that computed the day (has row counts)."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("encounters"), asset_partitions=[context.partition_key]),
        limit=MATERIALIZATIONS_SEARCHED,
    ).records
    for record in records:  # newest first; a reused partition's materialization has no counts
        metadata = record.asset_materialization.metadata
        if ROWS_READ_KEY in metadata:
            return {key: value.value for key, value in metadata.items()}
    return None


def daily_check(asset: AssetsDefinition, blocking: bool = False) -> Callable[[Callable], AssetChecksDefinition]:
    """`@asset_check` on `asset`, one evaluation per daily partition."""

    def decorate(check: Callable) -> AssetChecksDefinition:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PreviewWarning)
            return asset_check(asset=asset, partitions_def=daily_partitions, blocking=blocking)(check)

    return decorate


@daily_check(encounters)
def encounters_dropped_rows(context: AssetCheckExecutionContext) -> AssetCheckResult:
    """Warns when more than 20 % of the export's rows were dropped for bad data (the `rows_*` counts)."""
    metadata = _computed_encounters_metadata(context)
    if metadata is None:
        return AssetCheckResult(passed=True, description="no materialization with row counts recorded for this day")
    # The encounters asset stores each count of select_encounters as `rows_<count>`.
    counts = {k.removeprefix("rows_"): v for k, v in metadata.items() if k.startswith("rows_")}
    return _result(dropped_rows(counts, DROPPED_ROWS_LIMIT), AssetCheckSeverity.WARN)


@daily_check(encounters)
def encounters_source_readable(context: AssetCheckExecutionContext) -> AssetCheckResult:
    """Warns when export files were empty or header only (`export_problems`): their encounters are missing.

    When every file is empty the `encounters` run fails instead and the stored day stays as it was.
    """
    metadata = _computed_encounters_metadata(context)
    if metadata is None or EXPORT_PROBLEMS_KEY not in metadata:  # never computed, or before the key existed
        return AssetCheckResult(passed=True, description="no export problems recorded for this day")
    return _result(exports_readable(list(metadata[EXPORT_PROBLEMS_KEY])), AssetCheckSeverity.WARN)


@daily_check(whale_results, blocking=True)
def whale_results_rows_valid(context: AssetCheckExecutionContext, stored_tables: StoredTables) -> AssetCheckResult:
    """One row per kept encounter of the stored `encounters` day, statuses ok/no_audio/no_signal, scores in [0, 1]."""
    results = _stored(stored_tables, "whale_results", context)
    kept = _stored(stored_tables, "encounters", context)
    if results.empty and kept.empty:
        return AssetCheckResult(passed=True, description="no encounters and no rows this day")
    if results.empty:
        results = pd.DataFrame(columns=["encounter_id", "status", "pooled_score", "max_score"])
    if kept.empty:
        kept = pd.DataFrame(columns=["encounter_id"])
    return _result(results_match_encounters(results, kept), AssetCheckSeverity.ERROR)


@daily_check(whale_results)
def whale_results_complete(context: AssetCheckExecutionContext, fingerprints: FingerprintStore) -> AssetCheckResult:
    """Warns when the day is incomplete (built on audio or encounters that may still arrive)."""
    complete = fingerprints.get("whale_results", context.partition_key) is not None
    return AssetCheckResult(
        passed=complete,
        severity=AssetCheckSeverity.WARN,
        description="complete"
        if complete
        else "incomplete: an upstream partition lacks data that may still "
        "arrive (e.g. a day file not yet in the archive); the next run recomputes this day",
    )


@daily_check(daily_scores)
def daily_scores_cover_the_day(context: AssetCheckExecutionContext, stored_tables: StoredTables) -> AssetCheckResult:
    """Warns when fewer than 99 % of a full day's model windows (87 269 at 0.99 s) have a score; lists empty hours."""
    scores = _stored(stored_tables, "daily_scores", context)
    times = scores["time_utc"] if len(scores) else pd.Series([], dtype="datetime64[ns]")
    return _result(day_coverage(times, _day(context), MIN_DAY_COVERAGE), AssetCheckSeverity.WARN)


@daily_check(hourly_presence, blocking=True)
def hourly_presence_has_24_hours(context: AssetCheckExecutionContext, stored_tables: StoredTables) -> AssetCheckResult:
    """Exactly one row for each of the day's 24 UTC hours."""
    table = _stored(stored_tables, "hourly_presence", context)
    return _result(one_row_per_hour(table, _day(context)), AssetCheckSeverity.ERROR)


ALL_CHECKS = [
    encounters_dropped_rows,
    encounters_source_readable,
    whale_results_rows_valid,
    whale_results_complete,
    daily_scores_cover_the_day,
    hourly_presence_has_24_hours,
]
