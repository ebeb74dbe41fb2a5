"""One partition per UTC day, from the start of the MARS 16 kHz archive."""

import datetime as dt
from typing import TypedDict

import pandas as pd
from dagster import AssetExecutionContext, DailyPartitionsDefinition

from whale_assets.assets.table_metadata import OWNERS, TAGS

# Before FIRST_RECORDING_DAY (core/hydrophone.py): Happywhale encounters of July 2015 predate the
# recording; their days give `no_audio` rows, and existing partition keys stay valid.
ARCHIVE_START = "2015-07-01"

daily_partitions = DailyPartitionsDefinition(start_date=ARCHIVE_START, timezone="UTC")


def partition_day(context: AssetExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


def day_start_utc(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")


ARRAY_IO_MANAGER = "array_io_manager"
TABLE_IO_MANAGER = "table_io_manager"

class DailyAssetOptions(TypedDict, total=False):
    """The `@asset` arguments every daily asset shares (typed, so the checker sees `**` use)."""

    partitions_def: DailyPartitionsDefinition
    io_manager_key: str
    metadata: dict[str, str]
    owners: list[str]
    tags: dict[str, str]


# How every daily table asset is stored: DuckDB locally or Parquet in S3, partitioned by `date`.
DAILY_TABLE: DailyAssetOptions = {
    "partitions_def": daily_partitions,
    "io_manager_key": TABLE_IO_MANAGER,
    "metadata": {"partition_expr": "date"},
    "owners": OWNERS,
    "tags": TAGS,
}
# How every daily array asset is stored: one npy directory per day.
DAILY_ARRAYS: DailyAssetOptions = {"partitions_def": daily_partitions, "io_manager_key": ARRAY_IO_MANAGER, "owners": OWNERS, "tags": TAGS}
