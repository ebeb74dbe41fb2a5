"""`encounters`: humpback encounters near MARS that start within the UTC day."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue
from pydantic import Field

from whale_assets.assets.daily import DUCKDB_TABLE, daily_asset
from whale_assets.assets.policies import (
    TRANSIENT_RETRY,
    permanent_failure,
)
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.encounters.table import DEFAULT_MAX_DURATION_S, select_encounters
from whale_assets.core.fingerprint import frame_digest
from whale_assets.core.utc import Day
from whale_assets.resources import EncounterSource
from whale_assets.sources.happywhale import HappywhaleError
from whale_assets.storage.metadata_keys import (
    CONTENT_KEY,
    EMPTY_EXPORTS_KEY,
    EXPORT_PROBLEMS_KEY,
    INCOMPLETE_KEY,
    encounter_rows_key,
)


class EncountersConfig(ReusableConfig):
    # At most half the Earth round: any farther is nowhere.
    radius_km: float = Field(
        20.0, gt=0, le=20_038, description="Keep encounters within this great-circle distance of MARS"
    )
    max_duration_h: float = Field(
        DEFAULT_MAX_DURATION_S / 3600,
        gt=0,
        le=48,
        description="Longer encounters (an end date typed late) end at start + this; counted in rows_duration_clipped",
    )


@daily_asset(
    DUCKDB_TABLE,
    fingerprint_extra=lambda encounter_source: {"source": encounter_source.identity()},
    what_to_do="check the encounter source (WHALE_ENCOUNTERS, or the Happywhale request); retrying will not help",
    group_name="whale_pipeline",
    retry_policy=TRANSIENT_RETRY,
)
def encounters(
    context: AssetExecutionContext,
    config: EncountersConfig,
    day: Day,
    encounter_source: EncounterSource,
) -> pd.DataFrame:
    """Happywhale humpback encounters within `radius_km` of the hydrophone, times in UTC."""
    try:
        fetched = encounter_source.fetch(day, config.radius_km)
    except HappywhaleError as error:
        if error.transient:
            raise  # the retry policy tries again with backoff
        raise permanent_failure(error, "check the Happywhale request above; retrying will not help") from error
    except (FileNotFoundError, ValueError) as error:
        raise permanent_failure(error, "fix or re-export the export files in WHALE_ENCOUNTERS") from error
    selection = select_encounters(
        fetched.table, day, radius_km=config.radius_km, max_duration_s=config.max_duration_h * 3600
    )
    for row_error in fetched.row_errors:
        context.log.warning(f"Happywhale dropped a row: {row_error}")
    for problem in fetched.export_problems:
        context.log.warning(f"Happywhale export {problem} in {fetched.origin}: its encounters, if any, are missing")
    dropped = {k: v for k, v in selection.counts.items() if k.startswith("dropped_") and v}
    if dropped:
        context.log.warning(f"{sum(dropped.values())} rows dropped for bad data: {dropped}")
    context.add_output_metadata(
        {
            "source": fetched.origin,
            "source_row_errors": len(fetched.row_errors),
            EXPORT_PROBLEMS_KEY: MetadataValue.json(
                [{"file": p.file, "problem": p.kind.value} for p in fetched.export_problems]
            ),
            EMPTY_EXPORTS_KEY: len(fetched.export_problems),
            INCOMPLETE_KEY: bool(fetched.row_errors),  # rows Happywhale failed to give: fetch again next run
            CONTENT_KEY: frame_digest(selection.table),  # a live source can change: chain on what was kept
            **{encounter_rows_key(key): int(value) for key, value in selection.counts.items()},
            "preview": MetadataValue.md(selection.table.head(10).to_markdown(index=False))
            if len(selection.table)
            else "no encounters",
            **table_metadata("encounters", selection.table),
        }
    )
    return selection.table
