"""`whale-assets review-sample`: what to review, as a Raven table an analyst fills in.

A sample of the stored selections over a range of UTC days, stratified by score bin and
reproducible by seed (`core/review/sampling.py`), written as one Raven selection table with an empty
`Verdict` column: one table per day file it touches, in a folder of its own. Saved back into the
reviews folder as that folder (not as a day folder), its rows are routed to their days by `Date`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from whale_assets.core.reports.raven import RAVEN_COLUMNS, TABLE_COLUMNS, file_day_of, raven_file_name, raven_text
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
    folder: Path  # one Raven table per day file the sample touches
    tables: tuple[Path, ...]
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
    folder = Path(out_dir) / f"review_sample_{first_day}_{last_day}_seed{seed}"
    tables = []
    for file_day, table in sample_tables(sample).items():
        path = folder / raven_file_name(file_day)
        write_bytes_atomically(path, raven_text(table))
        tables.append(path)
    return ReviewSample(folder=folder, tables=tuple(tables), rows=len(sample), detections=len(rows))


def sample_tables(sample: pd.DataFrame) -> dict[dt.date, pd.DataFrame]:
    """The sampled rows as one Raven table per day file (Raven's times are times in the file it has
    open), each in time order and numbered 1..N, with the sample's own columns."""
    raven = sample.rename(columns=dict(zip(TABLE_COLUMNS, RAVEN_COLUMNS, strict=True)))
    raven = raven.assign(
        **{
            "Begin Time (s)": raven["File Offset (s)"].astype("float64"),
            "End Time (s)": raven["File Offset (s)"].astype("float64")
            + (raven["End Time (s)"].astype("float64") - raven["Begin Time (s)"].astype("float64")),
            "Date": pd.to_datetime(sample[PARTITION_COLUMN]).dt.strftime("%Y-%m-%d"),
            "Score Bin": [f"{low:g}-{high:g}" for low, high in zip(sample["score_bin_low"], sample["score_bin_high"], strict=True)],
            "Bin Detections": sample["bin_detections"].astype("int64"),
            "Bin Sampled": sample["bin_sampled"].astype("int64"),
            "Verdict": "",
        }
    )
    tables = {}
    for name, rows in raven.groupby("Begin File", sort=True):
        ordered = rows.sort_values("Begin Time (s)", kind="stable").reset_index(drop=True)
        ordered["Selection"] = range(1, len(ordered) + 1)
        tables[file_day_of(str(name))] = ordered[[*RAVEN_COLUMNS, *SAMPLE_EXTRA_COLUMNS]]
    return tables
