"""`hourly_presence`: 24 rows per UTC day, whether humpback song was present in each hour."""

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue
from pydantic import Field

from whale_assets.assets.daily import DERIVED_TABLE, daily_asset
from whale_assets.assets.detection import DetectionConfig
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.tables.hourly_presence import hourly_presence as presence_by_hour
from whale_assets.core.utc import Day


class HourlyPresenceConfig(DetectionConfig):
    min_seconds: float = Field(
        10.0, ge=0, le=3600, description="An hour is present with at least this many seconds of song"
    )


@daily_asset(DERIVED_TABLE, group_name="full_day")
def hourly_presence(
    context: AssetExecutionContext,
    config: HourlyPresenceConfig,
    day: Day,
    daily_scores: pd.DataFrame,
) -> pd.DataFrame:
    """Per hour: scores, max score, windows above threshold (median-filtered), and presence."""
    table = presence_by_hour(
        day,
        daily_scores["time_utc"].to_numpy("datetime64[ns]"),
        daily_scores["score"].to_numpy("float64"),
        config.rule,
        min_seconds=config.min_seconds,
    )
    present = [f"{h:%H}" for h in table.loc[table["present"], "hour_utc"]]
    context.add_output_metadata(
        {
            "hours_present": len(present),
            "hours_without_scores": int((table["n_scores"] == 0).sum()),
            "present_hours_utc": MetadataValue.json(present),
            **table_metadata("hourly_presence", table),
        }
    )
    return table
