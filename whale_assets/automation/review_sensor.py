"""`review_files_sensor`: a new or changed review file requests that day's `reviewed_detections`.

The cursor holds a digest of each day folder's files (names, sizes, modification times), so a file
saved again from Raven is picked up and an unchanged folder is not re-run; the run key carries the
digest, so one version of a day's reviews is read once.
"""

from __future__ import annotations

import hashlib
import json
import re

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from whale_assets.jobs import reviews_job
from whale_assets.resources import FileStore
from whale_assets.storage.s3 import storage_path

DAY_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def folder_digests(reviews: FileStore) -> dict[str, str]:
    """Each day folder of the reviews store with a digest of its files' names, sizes and times."""
    root = storage_path(reviews.base_path)
    if not root.exists():
        return {}
    digests = {}
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and DAY_FOLDER.match(folder.name):
            stats = sorted((f.name, f.stat().st_size, f.stat().st_mtime) for f in folder.iterdir() if f.is_file())
            if stats:
                digests[folder.name] = hashlib.sha256(json.dumps(stats).encode()).hexdigest()[:16]
    return digests


@sensor(job=reviews_job, minimum_interval_seconds=60, default_status=DefaultSensorStatus.RUNNING)
def review_files_sensor(context: SensorEvaluationContext, reviews: FileStore) -> SensorResult | SkipReason:
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    now = folder_digests(reviews)
    changed = sorted(day for day, digest in now.items() if seen.get(day) != digest)
    if not changed:
        return SkipReason(f"no new or changed review files under {reviews.base_path}")
    return SensorResult(
        run_requests=[RunRequest(partition_key=day, run_key=f"reviews-{day}-{now[day]}") for day in changed],
        cursor=json.dumps(now),
    )
