"""Dagster's standard table metadata (row count, column schema) and the owners and tags of every asset.

The column descriptions live in the core next to each table's dtypes; the Dagster `TableSchema`
is built here, from the frame actually returned, so the schema names every stored column.
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd
from dagster import TableColumn, TableSchema

from whale_assets.core.encounters.table import ENCOUNTER_DESCRIPTIONS
from whale_assets.core.reports.diel import DIEL_DESCRIPTIONS
from whale_assets.core.reports.raven import TABLE_COLUMN_DESCRIPTIONS
from whale_assets.core.review.table import PERFORMANCE_DESCRIPTIONS, REVIEWED_DESCRIPTIONS
from whale_assets.core.tables.clips import CLIP_DESCRIPTIONS
from whale_assets.core.tables.daily_scores import DAILY_SCORE_DESCRIPTIONS
from whale_assets.core.tables.hourly_presence import PRESENCE_DESCRIPTIONS
from whale_assets.core.tables.provenance import PROVENANCE_DESCRIPTIONS
from whale_assets.core.tables.results import RESULT_DESCRIPTIONS
from whale_assets.storage.metadata_keys import COLUMN_SCHEMA_KEY, PARTITION_ROW_COUNT_KEY, ROW_COUNT_KEY

# A placeholder team until the platform has real owners (Dagster: `team:<name>` or an e-mail).
OWNERS = ["team:marine-acoustics"]
# Static tags: the classifier is a setting, so it goes on the materialization (`classifier`).
TAGS = {"domain": "bioacoustics"}

COLUMN_DESCRIPTIONS: dict[str, Mapping[str, str]] = {
    "encounters": ENCOUNTER_DESCRIPTIONS,
    "whale_results": RESULT_DESCRIPTIONS,
    "daily_scores": DAILY_SCORE_DESCRIPTIONS,
    "hourly_presence": PRESENCE_DESCRIPTIONS,
    "raven_selections": {**TABLE_COLUMN_DESCRIPTIONS, **PROVENANCE_DESCRIPTIONS},
    "encounter_clips": {**CLIP_DESCRIPTIONS, **PROVENANCE_DESCRIPTIONS},
    "diel_presence": DIEL_DESCRIPTIONS,
    "reviewed_detections": REVIEWED_DESCRIPTIONS,
    "detector_performance": PERFORMANCE_DESCRIPTIONS,
}


def column_schema(frame: pd.DataFrame, descriptions: Mapping[str, str]) -> TableSchema:
    """One column per column of `frame`, typed by its dtype, described from `descriptions`."""
    return TableSchema(
        columns=[
            TableColumn(name=str(name), type=str(dtype), description=descriptions.get(str(name)))
            for name, dtype in frame.dtypes.items()
        ]
    )


def table_metadata(asset: str, frame: pd.DataFrame) -> dict[str, Any]:
    """`dagster/partition_row_count` and `dagster/column_schema` of one daily partition of `asset`."""
    return {
        PARTITION_ROW_COUNT_KEY: len(frame),
        COLUMN_SCHEMA_KEY: column_schema(frame, COLUMN_DESCRIPTIONS[asset]),
    }


def unpartitioned_table_metadata(asset: str, frame: pd.DataFrame) -> dict[str, Any]:
    """`dagster/row_count` and `dagster/column_schema` of an unpartitioned table (the whole table)."""
    return {ROW_COUNT_KEY: len(frame), COLUMN_SCHEMA_KEY: column_schema(frame, COLUMN_DESCRIPTIONS[asset])}
