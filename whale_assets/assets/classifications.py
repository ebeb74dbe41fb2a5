"""`classifications`: model scores over each sifted stretch, every score stamped with its UTC time."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any, Literal

import numpy as np
from dagster import AssetExecutionContext, MetadataValue
from pydantic import Field

from whale_assets.assets.daily import daily_asset
from whale_assets.assets.daily_score_tracks import daily_scores_upstream, tracks_from_daily_scores
from whale_assets.assets.partitions import DAILY_ARRAYS
from whale_assets.assets.policies import MODEL_SCORING, model_load_failure
from whale_assets.assets.reuse import ReusableConfig, Upstream
from whale_assets.assets.run_config import IGNORED_SETTINGS_KEY, ignored_step
from whale_assets.core.scoring.classifier import MAX_STEP_SAMPLES, Classifier, WindowGrid
from whale_assets.core.scoring.track import score_segments
from whale_assets.core.utc import Day
from whale_assets.core.windows import WindowRecord, stored_segments
from whale_assets.resources import ClassifierResource, StoredTables
from whale_assets.sources.humpback_model import ModelLoadError
from whale_assets.storage.metadata_keys import CLASSIFIER_KEY
from whale_assets.storage.window_arrays import StoredWindows, WindowArray, WindowArrays


class ClassifyConfig(ReusableConfig):
    context_step_samples: int = Field(
        10_000,
        ge=WindowGrid.hop_samples,
        le=MAX_STEP_SAMPLES,
        description="Requested step between model windows at 10 kHz; the model rounds it down to whole 300-sample hops",
    )
    score_source: Literal["model", "daily_scores"] = Field(
        "model",
        description="`model`: score each sifted span with the classifier. `daily_scores`: take the stored "
        "full-day scores of the windows inside each span instead (materialize daily_scores for the day "
        "first; the model is not loaded and `context_step_samples` does not apply)",
    )

    def fingerprint_parameters(self) -> dict[str, Any]:
        parameters = super().fingerprint_parameters()
        if self.score_source == "model":
            # The option came after partitions were stored: its default keeps their fingerprints.
            del parameters["score_source"]
        return parameters


def _announce_classifier(
    context: AssetExecutionContext, config: ClassifyConfig, classifier: ClassifierResource
) -> None:
    """The classifier in the metadata, and a step the stored full-day scores cannot honour, reused or not."""
    context.add_output_metadata({CLASSIFIER_KEY: classifier.label})
    if config.score_source == "daily_scores":
        if config.context_step_samples != ClassifyConfig.model_fields["context_step_samples"].default:
            ignored = {
                "context_step_samples": "ignored with score_source daily_scores: the stored full-day scores "
                "keep the step daily_scores was computed with"
            }
            context.log.warning(f"run config ignored: {ignored}")
            context.add_output_metadata({IGNORED_SETTINGS_KEY: MetadataValue.json(ignored)})


def _classifier_identity(config: ClassifyConfig, classifier: ClassifierResource) -> dict[str, str]:
    label = classifier.fingerprint_label if config.score_source == "model" else classifier.label
    return {"classifier": label}


def _days_of_scores_read(config: ClassifyConfig, sifted_audio: StoredWindows, day: Day) -> list[Upstream]:
    return daily_scores_upstream(sifted_audio, day) if config.score_source == "daily_scores" else []


@daily_asset(
    DAILY_ARRAYS,
    prepare=_announce_classifier,
    fingerprint_extra=_classifier_identity,
    more_upstream=_days_of_scores_read,
    kinds={"numpy", "tensorflow"},
    group_name="whale_pipeline",
    pool=MODEL_SCORING,
)
def classifications(
    context: AssetExecutionContext,
    config: ClassifyConfig,
    day: Day,
    sifted_audio: StoredWindows,
    classifier: ClassifierResource,
    stored_tables: StoredTables,
) -> WindowArrays:
    """Per-window score tracks: structured arrays of (start_utc, score) on the model's true step.

    With `score_source: daily_scores` the tracks come from the stored `daily_scores` table
    (see assets/daily_score_tracks.py). That table is read through the `stored_tables` resource,
    not declared as an input: an input would pull full-day scoring into the whale_pipeline job.
    The lineage is kept in the fingerprint (each day read) and in the `daily_scores_days` metadata.
    """
    if config.score_source == "daily_scores":
        return tracks_from_daily_scores(context, config, day, sifted_audio, classifier.label, stored_tables)
    needs_model = any(window.ok for window in sifted_audio)
    try:
        model = classifier.load(config.context_step_samples) if needs_model else None
    except ModelLoadError as error:
        raise model_load_failure(error) from error

    def classify_windows() -> Iterator[WindowArray]:
        for window in sifted_audio:
            yield _classify_window(context, model, sifted_audio, window)

    attributes = {"model": classifier.label, **config.model_dump(exclude={"force"})}
    if model is not None:
        attributes.update(step_s=model.grid.step_s, context_s=model.grid.context_s)
        if ignored := ignored_step(config.context_step_samples, model):
            context.log.warning(f"run config ignored: {ignored}")
            context.add_output_metadata({IGNORED_SETTINGS_KEY: MetadataValue.json(ignored)})
    return WindowArrays(classify_windows(), attributes=attributes)


def _classify_window(
    context: AssetExecutionContext, model: Classifier | None, sifted: StoredWindows, window: WindowRecord
) -> WindowArray:
    record = WindowRecord(window.window_id, window.status, encounter_ids=window.encounter_ids)
    if not window.ok or model is None:
        return WindowArray(record)
    track = score_segments(
        model, sifted.load_present(window.window_id), window.required_sample_rate, stored_segments(window)
    )
    scores = track["score"]
    context.log.debug(f"window {window.window_id}: {scores.size} scores")
    scored = replace(
        record,
        score_source="model",
        model=model.name,
        start_utc=stored_segments(window)[0][0],  # the first score's window start
        step_s=model.grid.step_s,
        context_s=model.grid.context_s,
        n_scores=int(scores.size),
        max_score=float(np.max(scores)) if scores.size else None,
    )
    return WindowArray(scored, track)
