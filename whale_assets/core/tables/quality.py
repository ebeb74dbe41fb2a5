"""What the asset checks judge, without Dagster: one `Verdict` per property of a stored day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from whale_assets.core.hydrophone import DAY_SECONDS
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.windows import WindowStatus

DROPPED_PREFIX = "dropped_"
SCORE_COLUMNS = ("pooled_score", "max_score")
# A verdict's evidence: plain JSON values, which every metadata store (Dagster's included) takes as is.
Evidence = int | float | str | list[Any] | dict[str, Any] | None


@dataclass(frozen=True)
class Verdict:
    passed: bool
    description: str
    metadata: dict[str, Evidence] = field(default_factory=dict)


def dropped_rows(row_counts: Mapping[str, int], limit: float) -> Verdict:
    """Rows dropped for bad data (`dropped_*`) as a fraction of `read`, against `limit`.

    `row_counts` are the counts `select_encounters` makes (stored as `rows_<count>` metadata).
    """
    dropped = {k.removeprefix(DROPPED_PREFIX): int(v) for k, v in row_counts.items() if k.startswith(DROPPED_PREFIX)}
    read = int(row_counts.get("read", 0))
    fraction = sum(dropped.values()) / read if read else 0.0
    return Verdict(
        fraction <= limit,
        f"{sum(dropped.values())} of {read} rows dropped for bad data ({fraction:.1%}; limit {limit:.0%})",
        {
            "dropped_fraction": fraction,
            "rows_read": read,
            **{f"{DROPPED_PREFIX}{k}": v for k, v in dropped.items() if v},
        },
    )


def exports_readable(problems: list[Mapping[str, str]]) -> Verdict:
    """No export file of the source was empty (`problems`: one `{"file", "problem"}` per file)."""
    listed = "; ".join(f"{p['file']}: {p['problem']}" for p in problems)
    return Verdict(
        not problems,
        f"{len(problems)} export files said nothing (their encounters, if any, are missing): {listed}"
        if problems
        else "every export file was read",
        {"empty_exports": len(problems)},
    )


def results_match_encounters(results: pd.DataFrame, encounters: pd.DataFrame) -> Verdict:
    """One row per kept encounter, a known status each, and scores within [0, 1]."""
    result_ids = results["encounter_id"].astype(str)
    kept = set(encounters["encounter_id"].astype(str))
    missing = sorted(kept - set(result_ids))
    extra = sorted(set(result_ids) - kept)
    repeated = sorted(set(result_ids[result_ids.duplicated()]))
    bad_status = sorted(set(results["status"].astype(str)) - {status.value for status in WindowStatus})
    scores = results[list(SCORE_COLUMNS)].astype("float64").to_numpy()
    out_of_range = int(((scores < 0) | (scores > 1)).sum())  # NaN (no score) compares False: allowed
    problems = {
        "encounters_without_row": missing,
        "rows_without_encounter": extra,
        "repeated_encounters": repeated,
        "unknown_statuses": bad_status,
    }
    found = [f"{name}: {values}" for name, values in problems.items() if values]
    if out_of_range:
        found.append(f"{out_of_range} scores outside [0, 1]")
    return Verdict(
        not found,
        "; ".join(found) or f"{len(results)} rows for {len(kept)} kept encounters, statuses and scores valid",
        {
            "rows": len(results),
            "kept_encounters": len(kept),
            "scores_outside_0_1": out_of_range,
            **{k: v for k, v in problems.items() if v},
        },
    )


def full_day_windows(step_s: float) -> int:
    """Model windows in a complete UTC day at a window step of `step_s` (0.99 s: 87 269)."""
    grid = WindowGrid()
    grid = WindowGrid.for_step(round(step_s * grid.sample_rate / grid.hop_samples) * grid.hop_samples)
    return grid.n_windows(DAY_SECONDS * grid.sample_rate)


def day_coverage(window_times: pd.Series, day: dt.date, min_coverage: float) -> Verdict:
    """Scored windows against a full day's, and the UTC hours with no score at all."""
    times = pd.to_datetime(window_times).sort_values()
    steps = np.diff(times.to_numpy("datetime64[ns]")).astype("float64") / 1e9
    step_s = float(np.min(steps[steps > 0])) if (steps > 0).any() else WindowGrid().step_s
    expected = full_day_windows(step_s)
    hours = set(times[times.dt.date == day].dt.hour)
    missing_hours = [h for h in range(DAY_SECONDS // 3600) if h not in hours]
    coverage = len(times) / expected
    return Verdict(
        coverage >= min_coverage,
        f"{len(times)} of {expected} windows scored ({coverage:.1%}); hours without scores: {missing_hours or 'none'}",
        {
            "windows_scored": len(times),
            "full_day_windows": expected,
            "coverage": coverage,
            "missing_hours": missing_hours,
        },
    )


def one_row_per_hour(table: pd.DataFrame, day: dt.date) -> Verdict:
    """Exactly the 24 UTC hours of `day`, each once."""
    expected = pd.Timestamp(day) + pd.to_timedelta(np.arange(DAY_SECONDS // 3600), unit="h")
    hours = pd.to_datetime(table["hour_utc"]) if len(table) else pd.Series([], dtype="datetime64[ns]")
    missing = [f"{h:%H}" for h in expected if h not in set(hours)]
    passed = len(table) == len(expected) and not missing
    return Verdict(
        passed,
        f"{len(table)} rows" + (f"; hours missing: {missing}" if missing else ""),
        {"rows": len(table), "missing_hours": missing},
    )
