"""How a result row was made: the run that wrote it and the settings that shape it.

Every row of `whale_results` (and of the deliverables' tables) carries these columns, so SQL can
tell rows made with other settings apart (`select run_id, margin_s, threshold from whale_results`).
Rows stored before the columns existed read them as NULL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from whale_assets.core.scoring.pooling import DetectionRule

PROVENANCE_DTYPES: dict[str, str] = {
    "run_id": "string",
    "margin_s": "float64",
    "sift_mode": "string",
    "sift_lowcut_hz": "float64",
    "sift_highcut_hz": "float64",
    "classifier": "string",
    "score_source": "string",
    "threshold": "float64",
    "median_filter_windows": "Int64",
}
PROVENANCE_DESCRIPTIONS: dict[str, str] = {
    "run_id": "Dagster run that wrote the row",
    "margin_s": "raw_audio: seconds of audio kept before and after each encounter",
    "sift_mode": "sifted_audio: sift mode (noise_floor or max_relative)",
    "sift_lowcut_hz": "sifted_audio: band-pass low edge, Hz",
    "sift_highcut_hz": "sifted_audio: band-pass high edge, Hz",
    "classifier": "classifications: classifier label, with its precision (e.g. a `@bfloat16` suffix)",
    "score_source": "classifications: model (scored the sifted spans) or daily_scores (taken from the full-day scores)",
    "threshold": "Median-filtered score at or above this counts as song",
    "median_filter_windows": "Median filter length, model windows",
}


@dataclass(frozen=True)
class Provenance:
    """The run and settings behind a partition's rows; None where an upstream partition did not record it."""

    run_id: str | None = None
    margin_s: float | None = None
    sift_mode: str | None = None
    sift_lowcut_hz: float | None = None
    sift_highcut_hz: float | None = None
    classifier: str | None = None
    score_source: str | None = None
    threshold: float | None = None
    median_filter_windows: int | None = None

    def settings(self) -> dict[str, Any]:
        """Every field but the run id: what a recomputation with other settings changes."""
        return {name: value for name, value in asdict(self).items() if name != "run_id"}


def upstream_provenance(
    run_id: str,
    raw_audio: Mapping[str, Any],
    sifted_audio: Mapping[str, Any],
    classifications: Mapping[str, Any],
    rule: DetectionRule,
) -> Provenance:
    """The provenance from the upstream partitions' stored attributes and this asset's own settings.

    Partitions stored before an attribute existed give None, except `score_source`: before it
    existed every track came from the model.
    """
    return Provenance(
        run_id=run_id,
        margin_s=_float(raw_audio.get("margin_s")),
        sift_mode=sifted_audio.get("mode"),
        sift_lowcut_hz=_float(sifted_audio.get("lowcut_hz")),
        sift_highcut_hz=_float(sifted_audio.get("highcut_hz")),
        classifier=classifications.get("model"),
        score_source=classifications.get("score_source", "model" if classifications.get("model") else None),
        threshold=float(rule.threshold),
        median_filter_windows=int(rule.median_filter_windows),
    )


def with_provenance(frame: pd.DataFrame, provenance: Provenance) -> pd.DataFrame:
    """`frame` with the provenance columns appended (the same value on every row)."""
    values = asdict(provenance)
    columns = {
        name: pd.Series([values[name]] * len(frame), index=frame.index, dtype=dtype)
        for name, dtype in PROVENANCE_DTYPES.items()
    }
    return frame.assign(**columns)


def changed_settings(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The settings that differ from the previous materialization's: {name: {"before": ..., "after": ...}}.

    Empty when nothing changed or there was no previous materialization with settings (`before` None).
    """
    if before is None:
        return {}
    names = sorted(set(before) | set(after))
    return {
        name: {"before": before.get(name), "after": after.get(name)}
        for name in names
        if before.get(name) != after.get(name)
    }


def _float(value: Any) -> float | None:
    return None if value is None else float(value)
