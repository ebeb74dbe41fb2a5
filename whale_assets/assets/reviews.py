"""Analysts' verdicts in: `reviewed_detections` (per day: each verdict joined to the selection it
judges) and `detector_performance` (over every reviewed day: precision per score bin and threshold,
and the thresholds that reach 0.90 and 0.95 precision), with a check on the configured threshold.

Review files live under the reviews store (`WHALE_REVIEWS_DIR`, default `<storage root>/reviews`):
a day's tables in its folder, `reviews/YYYY-MM-DD/*.txt` (Raven) or `*.csv` (the export, edited);
a review sample over several days as its own folder (any other name), its rows routed by `Date`.
"""

import base64
import hashlib
import re
from typing import Any

import numpy as np
import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Failure,
    MetadataValue,
    Output,
    asset,
)
from pydantic import Field

from whale_assets.assets.automation import FOLLOWS_REVIEWED_DAYS
from whale_assets.assets.daily import DUCKDB_TABLE, daily_asset
from whale_assets.assets.partitions import DAILY_TABLE
from whale_assets.assets.policies import DUCKDB_WRITERS
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.assets.run_config import register_asset_config
from whale_assets.assets.table_metadata import table_metadata, unpartitioned_table_metadata
from whale_assets.core.reports.performance_figure import performance_png
from whale_assets.core.review.reviews import join_day_reviews
from whale_assets.core.review.table import DEFAULT_THRESHOLDS, performance_table, reviewed_scores, reviewed_table
from whale_assets.core.review.verdicts import ReviewError, Verdict
from whale_assets.core.utc import Day
from whale_assets.resources import FileStore, StoredTables
from whale_assets.storage.partition_files import present_files
from whale_assets.storage.s3 import storage_path

REVIEW_SUFFIXES = (".txt", ".csv", ".tsv")
RAVEN_DATE_TIME = "%Y/%m/%d %H:%M:%S.%f"
PRECISION_TARGET = 0.9  # what the check holds the configured threshold's reviewed precision to


class ReviewConfig(ReusableConfig):
    """No settings of its own: only `force`."""


DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def review_files(reviews: FileStore, folder: str) -> dict[str, bytes]:
    """The review files directly in the day folder `folder` of the reviews store."""
    found = {}
    for name in reviews.names(folder):
        if name.lower().endswith(REVIEW_SUFFIXES):
            data = reviews.read(f"{folder}/{name}")
            if data is not None:
                found[f"{folder}/{name}"] = data
    return found


def multi_day_review_files(reviews: FileStore) -> dict[str, bytes]:
    """Review files that are not in a day folder: at the root, or in a folder of their own (a review sample)."""
    root = storage_path(reviews.base_path)
    if not root.exists():
        return {}
    found = {f"{name}": reviews.read(name) for name in sorted(present_files(root))}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not DAY_FOLDER.match(folder.name):
            found.update(
                {f"{folder.name}/{name}": reviews.read(f"{folder.name}/{name}") for name in reviews.names(folder.name)}
            )
    return {name: data for name, data in found.items() if data is not None and name.lower().endswith(REVIEW_SUFFIXES)}


def stored_selections(raven_rows: pd.DataFrame) -> pd.DataFrame:
    """`raven_selections` rows with their UTC begin and end (end = begin + the selection's length)."""
    begin = pd.to_datetime(raven_rows["begin_date_time"], format=RAVEN_DATE_TIME)
    length = pd.to_timedelta(
        raven_rows["end_time_s"].astype("float64") - raven_rows["begin_time_s"].astype("float64"), unit="s"
    )
    return raven_rows.assign(begin_utc=begin, end_utc=begin + length)


def review_contents(day: Day, reviews: FileStore) -> dict[str, dict[str, str]]:
    """The digests of the review files the day's partition reads: its fingerprint changes with them."""
    files = review_files(reviews, day.key)
    multi_day = multi_day_review_files(reviews)
    return {
        "reviews": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "multi_day_reviews": {n: hashlib.sha256(d).hexdigest() for n, d in multi_day.items()},
    }


@daily_asset(DUCKDB_TABLE, fingerprint_extra=review_contents, group_name="reviews", deps=["raven_selections"])
def reviewed_detections(
    context: AssetExecutionContext,
    config: ReviewConfig,
    day: Day,
    reviews: FileStore,
    stored_tables: StoredTables,
) -> pd.DataFrame:
    """Each verdict of the day's review files joined to the `raven_selections` row it judges (`match`:
    current, or stale when the table changed since the review). A bad file fails the run naming the
    file and line, and the stored partition stays as it was."""
    # Files under the day's folder judge that day's table; files at the root (a review sample over
    # several days) contribute their rows of this day.
    files = review_files(reviews, day.key)
    multi_day = multi_day_review_files(reviews)
    selections = stored_tables.read_day("raven_selections", day)
    try:
        table = join_day_reviews(
            {**files, **multi_day}, set(multi_day), None if selections is None else stored_selections(selections), day
        )
    except ReviewError as problem:
        raise Failure(f"review not stored: {problem}", allow_retries=False) from None
    table = reviewed_table(table, day)
    context.add_output_metadata(
        {
            "review_files": MetadataValue.json(
                sorted({*files, *(n for n in multi_day if n in set(table["review_file"]))})
            ),
            "verdicts": len(table),
            **{value.value: int((table["verdict"] == value.value).sum()) for value in Verdict},
            "stale": int((table["match"] == "stale").sum()),
            "added": int((table["match"] == "added").sum()),
            **table_metadata("reviewed_detections", table),
        }
    )
    return table


class PerformanceConfig(ReusableConfig):
    threshold: float = Field(
        0.5, ge=0, le=1, description="The detection threshold in use, checked against its reviewed precision"
    )


THRESHOLD_CHECK = "threshold_precision"
register_asset_config("detector_performance", PerformanceConfig)  # not daily: checked with the others all the same


@asset(
    kinds={"duckdb", "pandas"},
    group_name="reviews",
    deps=[reviewed_detections],
    owners=DAILY_TABLE["owners"],
    tags=DAILY_TABLE["tags"],
    io_manager_key=DAILY_TABLE["io_manager_key"],
    pool=DUCKDB_WRITERS,
    automation_condition=FOLLOWS_REVIEWED_DAYS,
    check_specs=[
        AssetCheckSpec(
            THRESHOLD_CHECK,
            asset="detector_performance",
            description=f"The threshold in use keeps a reviewed precision of at least {PRECISION_TARGET}",
        )
    ],
)
def detector_performance(
    context: AssetExecutionContext,
    config: PerformanceConfig,
    reports: FileStore,
    stored_tables: StoredTables,
):
    """Per classifier: precision per score bin and per threshold from every reviewed day, and the
    thresholds where a logistic fit of P(true | score) reaches 0.90 and 0.95 precision."""
    verdicts = stored_tables.read_all("reviewed_detections")
    detections = stored_tables.read_all("raven_selections")
    groups = reviewed_scores(verdicts, detections)
    table = performance_table(groups, thresholds=sorted({*DEFAULT_THRESHOLDS, config.threshold}))
    metadata: dict[str, Any] = {"classifiers": MetadataValue.json([g.classifier for g in groups])}
    for group in groups:
        png = performance_png(table, group.classifier)
        path = reports.write(f"detector_performance/{safe_name(group.classifier)}.png", png)
        metadata[f"figure {group.classifier}"] = MetadataValue.path(path)
        metadata[f"precision vs threshold: {group.classifier}"] = MetadataValue.md(
            f"![precision vs threshold](data:image/png;base64,{base64.b64encode(png).decode('ascii')})"
        )
    metadata.update(unpartitioned_table_metadata("detector_performance", table))
    yield Output(table, metadata=metadata)
    yield threshold_check(table, config.threshold)


def threshold_check(table: pd.DataFrame, threshold: float) -> AssetCheckResult:
    """WARN when a classifier's reviewed precision at the threshold in use is below the target."""
    at = table[(table["kind"] == "threshold") & np.isclose(table["score_low"], threshold)]
    decided = at[(at["n_true"] + at["n_false"]) > 0]
    if not len(decided):
        return AssetCheckResult(check_name=THRESHOLD_CHECK, passed=True, metadata={"reason": "no verdicts yet"})
    worst = decided.loc[decided["precision"].idxmin()]
    return AssetCheckResult(
        check_name=THRESHOLD_CHECK,
        passed=bool(worst["precision"] >= PRECISION_TARGET),
        severity=AssetCheckSeverity.WARN,
        metadata={
            "classifier": str(worst["classifier"]),
            "threshold": threshold,
            "precision": float(worst["precision"]),
            "precision_low": float(worst["precision_low"]),
            "target": PRECISION_TARGET,
            "verdicts": int(worst["n_true"] + worst["n_false"]),
        },
    )


def safe_name(label: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
