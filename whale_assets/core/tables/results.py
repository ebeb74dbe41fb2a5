"""The results table: one row per encounter, labelled from its window's scores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from whale_assets.core.scoring.pooling import DEFAULT_RULE, DetectionRule, detect, pool_scores
from whale_assets.core.tables.provenance import PROVENANCE_DESCRIPTIONS, PROVENANCE_DTYPES, Provenance, with_provenance
from whale_assets.core.utc import Day, naive_utc
from whale_assets.core.windows import WindowStatus

RESULT_DTYPES: dict[str, str] = {
    "date": "datetime64[us]",
    "encounter_id": "string",
    "latitude": "float64",
    "longitude": "float64",
    "distance_km": "float64",
    "start_utc": "datetime64[us]",
    "end_utc": "datetime64[us]",
    "window_id": "string",
    "status": "string",
    "n_scores": "int64",
    "pooled_score": "float64",
    "max_score": "float64",
    "detected": "bool",
    "peak_score_utc": "datetime64[us]",
    "sifted_start_utc": "datetime64[us]",
    "sifted_end_utc": "datetime64[us]",
    "sifted_seconds": "float64",
    "model": "string",
    "audio_path": "string",
    "classification_path": "string",
    "img_path": "string",
    "encounter_img_url": "string",
    "pooling": "string",
    **PROVENANCE_DTYPES,
}
# What each column means (the asset layer turns this into the Dagster column schema).
RESULT_DESCRIPTIONS: dict[str, str] = {
    "date": "UTC day of the partition (the day the encounter starts)",
    "encounter_id": "Happywhale encounter id",
    "latitude": "Encounter latitude, degrees north",
    "longitude": "Encounter longitude, degrees east",
    "distance_km": "Great-circle distance from the MARS hydrophone, km",
    "start_utc": "Encounter start, UTC",
    "end_utc": "Encounter end, UTC",
    "window_id": "The audio window the encounter was scored in (shared by overlapping encounters)",
    "status": "ok (scored), no_audio (archive has no audio) or no_signal (nothing in the song band)",
    "n_scores": "Model scores in the window's sifted audio",
    "pooled_score": "The window's scores pooled into one (config `pooling`), 0-1",
    "max_score": "Highest raw model score in the window, 0-1",
    "detected": "Median-filtered score reached the threshold somewhere in the window",
    "peak_score_utc": "Start of the model window with the highest median-filtered score, UTC",
    "sifted_start_utc": "Start of the audio kept by sifting, UTC",
    "sifted_end_utc": "End of the audio kept by sifting, UTC",
    "sifted_seconds": "Seconds of audio kept by sifting and scored",
    "model": "Classifier that scored the window",
    "audio_path": "The window's raw audio array (.npy)",
    "classification_path": "The window's score track (.npy)",
    "img_path": "Spectrogram and score figure of the encounter (.png)",
    "encounter_img_url": "Happywhale photo of the encounter",
    "pooling": "How the window's scores were pooled into pooled_score (mean, max, median, p90)",
    **PROVENANCE_DESCRIPTIONS,
}


@dataclass(frozen=True)
class WindowOutcome:
    """What the pipeline learnt about one audio window."""

    window_id: str
    encounter_ids: tuple[str, ...]
    status: WindowStatus
    score_times_utc: np.ndarray  # datetime64[ns], start of each model window
    scores: np.ndarray
    sifted_start_utc: pd.Timestamp | None = None
    sifted_end_utc: pd.Timestamp | None = None
    sifted_seconds: float | None = None
    model: str | None = None
    audio_path: str | None = None
    classification_path: str | None = None


@dataclass(frozen=True)
class Labelling:
    pooling: str = "mean"
    rule: DetectionRule = DEFAULT_RULE


def build_results(
    day: Day,
    encounters: pd.DataFrame,
    outcomes: Sequence[WindowOutcome],
    labelling: Labelling,
    img_paths: Mapping[str, str] | None = None,
    provenance: Provenance | None = None,
) -> pd.DataFrame:
    """Join each encounter to its window's outcome and label it; every row records `provenance`.

    The provenance's threshold and median filter are the labelling's (what the rows were labelled with).
    """
    by_encounter = {eid: o for o in outcomes for eid in o.encounter_ids}
    img_paths = img_paths or {}
    rows = [
        _row(day, encounter, by_encounter.get(str(encounter.encounter_id)), labelling, img_paths)
        for encounter in encounters.itertuples(index=False)
    ]
    labelled_with = replace(
        provenance or Provenance(),
        threshold=labelling.rule.threshold,
        median_filter_windows=labelling.rule.median_filter_windows,
    )
    frame = pd.DataFrame(rows, columns=[c for c in RESULT_DTYPES if c not in PROVENANCE_DTYPES])
    frame["pooling"] = labelling.pooling
    return with_provenance(frame, labelled_with).astype(RESULT_DTYPES)


def _row(day: Day, encounter, outcome: WindowOutcome | None, labelling: Labelling, img_paths) -> dict:
    row = {
        "date": day.start,
        "encounter_id": str(encounter.encounter_id),
        "latitude": encounter.latitude,
        "longitude": encounter.longitude,
        "distance_km": encounter.distance_km,
        "start_utc": _naive(encounter.start_utc),
        "end_utc": _naive(encounter.end_utc),
        "encounter_img_url": encounter.encounter_img_url,
        "img_path": img_paths.get(str(encounter.encounter_id)),
        "status": WindowStatus.NO_AUDIO.value,
        "n_scores": 0,
        "pooled_score": np.nan,
        "max_score": np.nan,
        "detected": False,
    }
    if outcome is None:
        return row
    row.update(
        window_id=outcome.window_id,
        status=WindowStatus(outcome.status).value,
        model=outcome.model,
        audio_path=outcome.audio_path,
        classification_path=outcome.classification_path,
        sifted_start_utc=_naive(outcome.sifted_start_utc),
        sifted_end_utc=_naive(outcome.sifted_end_utc),
        sifted_seconds=outcome.sifted_seconds,
    )
    scores = np.asarray(outcome.scores, dtype=np.float64)
    if outcome.status == WindowStatus.OK and scores.size == 0:
        row["status"] = WindowStatus.NO_SIGNAL.value
    if row["status"] != WindowStatus.OK.value:
        return row
    detection = detect(scores, labelling.rule, outcome.score_times_utc)
    peak = int(np.argmax(scores))
    row.update(
        n_scores=int(scores.size),
        pooled_score=pool_scores(scores, labelling.pooling),
        max_score=float(scores[peak]),
        detected=detection.detected,
        peak_score_utc=_naive(pd.Timestamp(outcome.score_times_utc[peak])),
    )
    return row


def _naive(value) -> pd.Timestamp | None:
    """UTC wall time without a zone: tables name UTC columns `*_utc` instead."""
    if value is None or pd.isna(value):
        return None
    return naive_utc(value)
