"""`whale-assets review-sample`: what to review, as a Raven table an analyst fills in.

A sample of the stored selections over a range of UTC days, stratified by score bin and
reproducible by seed (`core/review/sampling.py`), written as one Raven selection table with an empty
`Verdict` column. Saved back into the reviews folder's root (not a day folder), its rows are routed
to their days by its `Date` column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from whale_assets.core.reports.raven import RAVEN_COLUMNS, TABLE_COLUMNS, raven_text
from whale_assets.core.review.sampling import stratified_sample
from whale_assets.results_export import write_bytes_atomically
from whale_assets.results_sql import ResultsUnavailable, run_query
from whale_assets.storage.layout import PARTITION_COLUMN

SAMPLE_EXTRA_COLUMNS = {
    "Date": "the day whose raven_selections table the row comes from",
    "Score Bin": "the score bin it was drawn from",
    "Bin Detections": "detections of the whole range in that bin",
    "Bin Sampled": "how many of them the sample holds",
    "Verdict": "yours to fill in: yes, no or unsure",
}


@dataclass(frozen=True)
class ReviewSample:
    path: Path
    rows: int
    detections: int  # in the whole range


def review_sample(
    first_day: dt.date,
    last_day: dt.date,
    per_bin: int,
    seed: int,
    out_dir: str | Path,
    database: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> ReviewSample:
    if last_day < first_day:
        raise ResultsUnavailable(f"--to {last_day} is before --from {first_day}")
    rows = run_query(
        f"select * from raven_selections where \"{PARTITION_COLUMN}\" >= date '{first_day}' and "
        f"\"{PARTITION_COLUMN}\" < date '{last_day + dt.timedelta(days=1)}'",
        database,
        env,
    )
    if not len(rows):
        raise ResultsUnavailable(
            f"no raven_selections rows from {first_day} to {last_day}: run the deliverables job for those days first"
        )
    sample = stratified_sample(rows, per_bin, seed, score_column="confidence")
    table = sample_table(sample)
    name = f"review_sample_{first_day}_{last_day}_seed{seed}.selections.txt"
    path = Path(out_dir) / name
    write_bytes_atomically(path, raven_text(table))
    return ReviewSample(path=path, rows=len(table), detections=len(rows))


def _file_day(file_name: str) -> dt.date:
    found = re.search(r"(\d{4})(\d{2})(\d{2})T000000Z", file_name)
    if not found:
        raise ValueError(f"{file_name!r} is not an archive day file name")
    return dt.date(*map(int, found.groups()))


def sample_table(sample: pd.DataFrame) -> pd.DataFrame:
    """The sampled rows as a Raven table in time order, on the timeline of the earliest day file."""
    raven = sample.rename(columns=dict(zip(TABLE_COLUMNS, RAVEN_COLUMNS, strict=True)))
    file_days = raven["Begin File"].map(_file_day)
    begin = pd.to_datetime(file_days) + pd.to_timedelta(raven["File Offset (s)"].astype("float64"), unit="s")
    length = raven["End Time (s)"].astype("float64") - raven["Begin Time (s)"].astype("float64")
    origin = pd.Timestamp(min(file_days))
    since = (begin - origin).dt.total_seconds()
    raven = raven.assign(
        **{
            "Begin Time (s)": since.round(6),
            "End Time (s)": (since + length).round(6),
            "Date": pd.to_datetime(sample[PARTITION_COLUMN]).dt.strftime("%Y-%m-%d"),
            "Score Bin": [f"{low:g}-{high:g}" for low, high in zip(sample["score_bin_low"], sample["score_bin_high"], strict=True)],
            "Bin Detections": sample["bin_detections"].astype("int64"),
            "Bin Sampled": sample["bin_sampled"].astype("int64"),
            "Verdict": "",
        }
    )
    raven = raven.assign(_order=begin).sort_values("_order", kind="stable").drop(columns="_order")
    raven["Selection"] = range(1, len(raven) + 1)
    return raven[[*RAVEN_COLUMNS, *SAMPLE_EXTRA_COLUMNS]].reset_index(drop=True)
