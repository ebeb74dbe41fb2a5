"""One partition per UTC day, from the start of the MARS 16 kHz archive."""

import datetime as dt

import pandas as pd
from dagster import AssetExecutionContext, DailyPartitionsDefinition

ARCHIVE_START = "2015-07-01"

daily_partitions = DailyPartitionsDefinition(start_date=ARCHIVE_START, timezone="UTC")


def partition_day(context: AssetExecutionContext) -> dt.date:
    return dt.date.fromisoformat(context.partition_key)


def day_start_utc(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day, tz="UTC")
