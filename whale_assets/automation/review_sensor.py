"""`review_files_sensor`: a new or changed review file requests `reviewed_detections` for its days.

The cursor holds a digest of each folder of the reviews store (file names, sizes, modification
times), so a file saved again from Raven is picked up and an unchanged folder is not re-run. A day
folder (`YYYY-MM-DD`) requests its day; any other folder, or the root (a review sample over several
days), requests the days its tables' `Date` column names. The run key carries the digest, so one
version of a day's reviews is read once.
"""

from __future__ import annotations

import hashlib
import io
import json
import re

import pandas as pd
from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor
from upath import UPath

from whale_assets.jobs import reviews_job
from whale_assets.resources import FileStore
from whale_assets.storage.s3 import storage_path

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ROOT = "."


def _files(folder: UPath) -> list[UPath]:
    return sorted(entry for entry in folder.iterdir() if entry.is_file())


def folder_digests(reviews: FileStore) -> dict[str, str]:
    """Each folder of the reviews store (the root as ".") with a digest of its files' names, sizes and times."""
    root = storage_path(reviews.base_path)
    if not root.exists():
        return {}
    folders = {ROOT: root, **{entry.name: entry for entry in root.iterdir() if entry.is_dir()}}
    digests = {}
    for name, folder in sorted(folders.items()):
        stats = [(f.name, f.stat().st_size, f.stat().st_mtime) for f in _files(folder)]
        if stats:
            digests[name] = hashlib.sha256(json.dumps(stats).encode()).hexdigest()[:16]
    return digests


def days_of(reviews: FileStore, folder: str) -> set[str]:
    """The days a folder's reviews judge: the folder's own day, or the `Date` values of its tables."""
    if DAY_FOLDER.match(folder):
        return {folder}
    root = storage_path(reviews.base_path)
    days: set[str] = set()
    for path in _files(root if folder == ROOT else root / folder):
        try:
            text = path.read_text(encoding="utf-8-sig")
            header = text.split("\n", 1)[0]
            table = pd.read_csv(
                io.StringIO(text), sep="\t" if "\t" in header else ",", dtype=str, keep_default_na=False
            )
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
            continue  # not a table: the run of any day it belongs to reports it
        column = next((c for c in table.columns if c.strip().lower() == "date"), None)
        if column is not None:
            days |= {value.strip()[:10] for value in table[column] if DAY_FOLDER.match(value.strip()[:10])}
    return days


@sensor(job=reviews_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def review_files_sensor(context: SensorEvaluationContext, reviews: FileStore) -> SensorResult | SkipReason:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    now = folder_digests(reviews)
    changed = sorted(folder for folder, digest in now.items() if seen.get(folder) != digest)
    requests = {day: f"reviews-{day}-{now[folder]}" for folder in changed for day in sorted(days_of(reviews, folder))}
    if not requests:
        return SkipReason(f"no new or changed review files under {reviews.base_path}")
    return SensorResult(
        run_requests=[RunRequest(partition_key=day, run_key=key) for day, key in sorted(requests.items())],
        cursor=json.dumps(now),
    )
