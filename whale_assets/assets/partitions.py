"""One partition per UTC day, from the start of the MARS 16 kHz archive."""

from typing import TypedDict

from dagster import AssetExecutionContext, DailyPartitionsDefinition

from whale_assets.assets.table_metadata import OWNERS, TAGS
from whale_assets.core.utc import Day

# Before FIRST_RECORDING_DAY (core/hydrophone.py): Happywhale encounters of July 2015 predate the
# recording; their days give `no_audio` rows, and existing partition keys stay valid.
ARCHIVE_START = "2015-07-01"

daily_partitions = DailyPartitionsDefinition(start_date=ARCHIVE_START, timezone="UTC")


def partition_day(context: AssetExecutionContext) -> Day:
    """The partition's UTC day, built once per step (`daily.daily_asset` passes it to the body as `day`)."""
    return Day.from_key(context.partition_key)


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
DAILY_ARRAYS: DailyAssetOptions = {
    "partitions_def": daily_partitions,
    "io_manager_key": ARRAY_IO_MANAGER,
    "owners": OWNERS,
    "tags": TAGS,
}
