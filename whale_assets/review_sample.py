"""`whale-assets review-sample`: what to review, as a Raven table an analyst fills in.

A sample of the stored selections over a range of UTC days, stratified by score bin and
reproducible by seed (`core/review/sampling.py`), written as one Raven selection table with an empty
`Verdict` column: one table per day file it touches, in a folder of its own. Saved back into the
reviews folder as that folder (not as a day folder), its rows are routed to their days by `Date`.

Beside the tables, `clips/` holds a short WAV per sampled selection (the selection and
`CLIP_CONTEXT_S` either side, as a listening copy: DC removed, peak normalised), named after its table,
selection number and start time, and given in the table's `Clip` column, so an analyst can listen
without opening the 24-hour day file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from whale_assets.core.audio.clips import ClipTags, listening_copy, listening_wav_bytes
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.reports.raven import RAVEN_COLUMNS, TABLE_COLUMNS, file_day_of, raven_file_name, raven_text
from whale_assets.core.review.sampling import sample_clip, stratified_sample
from whale_assets.results_export import write_bytes_atomically
from whale_assets.results_sql import ResultsUnavailable, run_query
from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable
from whale_assets.storage.layout import PARTITION_COLUMN

SAMPLE_EXTRA_COLUMNS = {
    "Date": "the day whose raven_selections table the row comes from",
    "Score Bin": "the score bin it was drawn from",
    "Bin Detections": "detections of the whole range in that bin",
    "Bin Sampled": "how many of them the sample holds",
    "Clip": "the selection's WAV under clips/ (empty where the archive had no audio, or clips were not asked for)",
    "Clip Offset (s)": "where the selection begins in its clip",
    "Verdict": "yours to fill in: yes, no or unsure",
}
CLIPS_FOLDER = "clips"


@dataclass(frozen=True)
class ReviewSample:
    folder: Path  # one Raven table per day file the sample touches
    tables: tuple[Path, ...]
    rows: int
    detections: int  # in the whole range
    clips: tuple[Path, ...] = ()
    clips_missing: tuple[str, ...] = ()  # why a sampled selection has no clip (one line each)


def review_sample(
    first_day: dt.date,
    last_day: dt.date,
    per_bin: int,
    seed: int,
    out_dir: str | Path,
    database: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    archive: AudioArchive | None = None,
) -> ReviewSample:
    """The sample's Raven tables (and, from `archive`, a WAV clip per row) in a folder under `out_dir`."""
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
    tables, clips, missing = [], [], []
    for file_day, table in sample_tables(sample).items():
        if archive is not None:
            written, problems = write_clips(archive, file_day, table, folder / CLIPS_FOLDER)
            clips += written
            missing += problems
        path = folder / raven_file_name(file_day)
        write_bytes_atomically(path, raven_text(table))
        tables.append(path)
    return ReviewSample(
        folder=folder,
        tables=tuple(tables),
        rows=len(sample),
        detections=len(rows),
        clips=tuple(clips),
        clips_missing=tuple(missing),
    )


def write_clips(
    archive: AudioArchive, file_day: dt.date, table: pd.DataFrame, folder: Path
) -> tuple[list[Path], list[str]]:
    """A listening WAV per row of one day file's sample table, its name and offset filled into the
    table's `Clip` and `Clip Offset (s)`; a row whose audio the archive lacks keeps them empty."""
    written, missing = [], []
    for index, row in table.iterrows():
        begin_s, end_s = float(row["Begin Time (s)"]), float(row["End Time (s)"])
        clip = sample_clip(file_day, int(row["Selection"]), begin_s, end_s - begin_s)
        end = clip.start_utc + pd.Timedelta(seconds=clip.n_samples / ARCHIVE_SAMPLE_RATE)
        try:
            audio = archive.read(clip.start_utc, end)
        except AudioUnavailable as absent:
            missing.append(f"{raven_file_name(file_day)} selection {row['Selection']}: {absent.reason}")
            continue
        tags = ClipTags(
            title=f"{row['Begin File']} selection {row['Selection']} (score {float(row['Confidence']):.3f})",
            comment=f"review sample clip; the selection begins {clip.selection_offset_s:g} s in; listening copy",
            date=f"{clip.start_utc:%Y-%m-%dT%H:%M:%S}Z",
        )
        path = folder / clip.name
        write_bytes_atomically(
            path, listening_wav_bytes(listening_copy(audio, ARCHIVE_SAMPLE_RATE), ARCHIVE_SAMPLE_RATE, tags)
        )
        table.loc[index, ["Clip", "Clip Offset (s)"]] = [f"{CLIPS_FOLDER}/{clip.name}", f"{clip.selection_offset_s:g}"]
        written.append(path)
    return written, missing


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
            "Score Bin": [
                f"{low:g}-{high:g}" for low, high in zip(sample["score_bin_low"], sample["score_bin_high"], strict=True)
            ],
            "Bin Detections": sample["bin_detections"].astype("int64"),
            "Bin Sampled": sample["bin_sampled"].astype("int64"),
            "Clip": "",
            "Clip Offset (s)": "",
            "Verdict": "",
        }
    )
    tables = {}
    for name, rows in raven.groupby("Begin File", sort=True):
        ordered = rows.sort_values("Begin Time (s)", kind="stable").reset_index(drop=True)
        ordered["Selection"] = range(1, len(ordered) + 1)
        tables[file_day_of(str(name))] = ordered[[*RAVEN_COLUMNS, *SAMPLE_EXTRA_COLUMNS]]
    return tables
