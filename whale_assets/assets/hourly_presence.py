"""`hourly_presence`: 24 rows per UTC day, whether humpback song was present in each hour."""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue
from pydantic import Field, field_validator

from whale_assets.assets.automation import FOLLOWS_UPSTREAM_DAYS
from whale_assets.assets.daily import daily_asset
from whale_assets.assets.partitions import DAILY_TABLE
from whale_assets.assets.policies import DUCKDB_WRITERS
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.scoring.pooling import check_kernel
from whale_assets.core.tables.hourly_presence import hourly_presence as presence_by_hour


class HourlyPresenceConfig(ReusableConfig):
    threshold: float = Field(0.5, ge=0, le=1, description="Median-filtered score at or above this counts as song")
    min_seconds: float = Field(10.0, ge=0, le=3600, description="An hour is present with at least this many seconds of song")
    median_filter_windows: int = Field(5, ge=1, le=999, description="Median filter length in model windows (odd)")

    @field_validator("median_filter_windows")
    @classmethod
    def _odd(cls, windows: int) -> int:
        check_kernel(windows)
        return windows


@daily_asset(
    DAILY_TABLE,
    kinds={"duckdb", "pandas"},
    group_name="full_day",
    pool=DUCKDB_WRITERS,
    automation_condition=FOLLOWS_UPSTREAM_DAYS,
)
def hourly_presence(
    context: AssetExecutionContext,
    config: HourlyPresenceConfig,
    day: dt.date,
    daily_scores: pd.DataFrame,
) -> pd.DataFrame:
    """Per hour: scores, max score, windows above threshold (median-filtered), and presence."""
    table = presence_by_hour(
        day,
        daily_scores["time_utc"].to_numpy("datetime64[ns]"),
        daily_scores["score"].to_numpy("float64"),
        threshold=config.threshold,
        min_seconds=config.min_seconds,
        median_filter_windows=config.median_filter_windows,
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
