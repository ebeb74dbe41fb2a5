"""`classifications` with `score_source: daily_scores`: tracks cut from the stored full-day scores.

Each stored stretch of an `ok` sifted window (a region padded by one model context) gets the
`daily_scores` rows whose whole model context lies inside it, on the day's 0.99 s grid. The model is never loaded. Days read:
- the partition's own day must have rows, else the run fails saying what to materialize;
- a neighbouring day (a span across midnight) is used when it has rows; when it has none the
  span keeps only its scores on the days that have them, a warning says so, and the partition
  is incomplete (its daily_scores fingerprint is missing), so the next run recomputes it.
"""

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, MetadataValue

from whale_assets.assets.policies import permanent_failure
from whale_assets.assets.reuse import ReusableConfig, Upstream
from whale_assets.core.scoring.classifier import MODEL_CONTEXT_S
from whale_assets.core.scoring.track import days_touched, infer_step_ns, span_track
from whale_assets.core.utc import Day
from whale_assets.core.windows import WindowRecord, stored_segments
from whale_assets.resources import StoredTables
from whale_assets.storage.window_arrays import StoredWindows, WindowArray, WindowArrays

DAILY_SCORES = "daily_scores"
CONTEXT_S = MODEL_CONTEXT_S


def days_read(sifted: StoredWindows) -> list[dt.date]:
    """The days of daily_scores the stored stretches of `sifted` need, each model context whole."""
    spans = [segment for window in sifted if window.ok for segment in stored_segments(window)]
    return sorted({d for start, end in spans for d in days_touched(start, end, CONTEXT_S)})


def daily_scores_upstream(sifted: StoredWindows, day: Day) -> list[Upstream]:
    """Every day read is an upstream: re-materialized daily_scores recompute this partition, and a
    day without a fingerprint (incomplete or not yet written) makes it incomplete too."""
    return [DAILY_SCORES if d == day else (DAILY_SCORES, d.isoformat()) for d in days_read(sifted)]


def tracks_from_daily_scores(
    context: AssetExecutionContext,
    config: ReusableConfig,
    day: Day,
    sifted: StoredWindows,
    classifier_label: str,
    tables: StoredTables,
) -> WindowArrays:
    """The classifications partition built from `daily_scores` instead of the classifier."""
    days = days_read(sifted)
    rows, missing = _read_days(context, tables, days, day, classifier_label)
    times = rows["time_utc"].to_numpy("datetime64[ns]")
    scores = rows["score"].to_numpy(np.float32)
    # The step daily_scores ran with (its gaps are whole multiples of it); unknown below two rows.
    step_ns = infer_step_ns(times)
    step_s = step_ns / 1e9 if step_ns else None
    context.add_output_metadata(
        {
            "score_source": DAILY_SCORES,
            "daily_scores_days": MetadataValue.json([d.isoformat() for d in days]),
            "daily_scores_days_missing": MetadataValue.json([d.isoformat() for d in missing]),
        }
    )

    def windows() -> Iterator[WindowArray]:
        for window in sifted:
            yield _window_track(window, times, scores, classifier_label, step_s)

    attributes = {
        "model": classifier_label,
        **config.model_dump(exclude={"force"}),
        "step_s": step_s,
        "context_s": CONTEXT_S,
        "daily_scores_days": [d.isoformat() for d in days],
    }
    return WindowArrays(windows(), attributes=attributes)


def _read_days(
    context: AssetExecutionContext,
    tables: StoredTables,
    days: Sequence[dt.date],
    partition: dt.date,
    classifier_label: str,
) -> tuple[pd.DataFrame, list[dt.date]]:
    """The rows of every day needed, checked: the partition's day present, one model, the classifier's."""
    frames, missing = [], []
    for day in days:
        rows = tables.read_day(DAILY_SCORES, day)
        if rows is None or rows.empty:
            if day == partition:
                raise permanent_failure(
                    LookupError(f"daily_scores has no rows for {day}"),
                    f"materialize daily_scores for {day} first, or set score_source: model",
                )
            context.log.warning(f"daily_scores has no rows for {day}: spans reaching into it get no scores there")
            missing.append(day)
            continue
        labels = sorted(set(rows["model"].astype(str)))
        if labels != [classifier_label]:
            raise permanent_failure(
                ValueError(
                    f"daily_scores for {day} was scored with model {', '.join(map(repr, labels))} but the "
                    f"configured classifier is {classifier_label!r}"
                ),
                f"re-materialize daily_scores for {day} with this classifier, or set score_source: model",
            )
        frames.append(rows[["time_utc", "score"]])
    if not frames:  # only neighbouring days were needed, and none has rows
        empty = {"time_utc": pd.Series(dtype="datetime64[ns]"), "score": pd.Series(dtype="float32")}
        return pd.DataFrame(empty), missing
    return pd.concat(frames, ignore_index=True), missing


def _window_track(
    window: WindowRecord, times: np.ndarray, scores: np.ndarray, model: str, step_s: float | None
) -> WindowArray:
    record = WindowRecord(window.window_id, window.status, encounter_ids=window.encounter_ids)
    if not window.ok:
        return WindowArray(record)
    track = np.concatenate([span_track(times, scores, start, end, CONTEXT_S) for start, end in stored_segments(window)])
    scored = replace(
        record,
        score_source=DAILY_SCORES,
        model=model,
        start_utc=window.start_utc,
        step_s=step_s,
        context_s=CONTEXT_S,
        n_scores=int(track.size),
        max_score=float(np.max(track["score"])) if track.size else None,
    )
    return WindowArray(scored, track)
