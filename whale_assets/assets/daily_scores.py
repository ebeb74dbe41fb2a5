"""`daily_scores`: the classifier over the whole UTC day file, one row per model window."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output
from pydantic import Field, field_validator

from whale_assets.assets.daily import daily_asset
from whale_assets.assets.partitions import DAILY_TABLE
from whale_assets.assets.policies import (
    MODEL_SCORING,
    TRANSIENT_RETRY,
    corrupt_archive_failure,
    model_load_failure,
)
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.assets.run_config import IGNORED_SETTINGS_KEY, ignored_step
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.audio.wav_header import CorruptWavHeader
from whale_assets.core.hydrophone import DAY_SECONDS
from whale_assets.core.scoring.classifier import MAX_STEP_SAMPLES, Classifier, WindowGrid
from whale_assets.core.scoring.day_chunks import (
    DEFAULT_CHUNK_S,
    DayChunkPlan,
    plan_day_chunks,
)
from whale_assets.core.scoring.day_scoring import (
    ChunkOutcome,
    DayScores,
    neighbourhood_windows,
    score_day,
)
from whale_assets.core.tables.daily_scores import daily_score_table
from whale_assets.core.utc import Day
from whale_assets.resources import (
    AudioArchiveResource,
    ClassifierResource,
    FileStore,
)
from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable
from whale_assets.sources.humpback_model import ModelLoadError
from whale_assets.storage.metadata_keys import CLASSIFIER_KEY, INCOMPLETE_KEY
from whale_assets.storage.score_checkpoints import ScoreCheckpoints


class DailyScoresConfig(ReusableConfig):
    context_step_samples: int = Field(
        10_000,
        ge=WindowGrid.hop_samples,
        le=MAX_STEP_SAMPLES,
        description="Requested step between model windows at 10 kHz (10 000 -> 9 900 = 0.99 s)",
    )
    chunk_s: float = Field(
        DEFAULT_CHUNK_S, ge=60, le=86_400, description="Seconds of the day read, scored and checkpointed at a time"
    )
    prefetch: bool = Field(True, description="Read the next chunk while the current one is scored")
    keep_checkpoints: bool = Field(
        False, description="Keep the finished chunks after the table is written (else they are removed)"
    )

    @field_validator("chunk_s")
    @classmethod
    def _whole_model_samples(cls, chunk_s: float) -> float:
        plan_day_chunks(0, WindowGrid(), chunk_s=chunk_s)  # the planner's own rule: whole 10 kHz samples
        return chunk_s


@dataclass
class DayAudio:
    """How many samples of the day file can be read, and everything found missing on the way."""

    n_samples: int
    problems: list[str] = field(default_factory=list)


@daily_asset(
    DAILY_TABLE,
    fingerprint_extra=lambda audio_archive, classifier: {
        **audio_archive.identity(),
        "classifier": classifier.fingerprint_label,
    },
    what_to_do="fix the archive day file or its access (WHALE_AUDIO_SOURCE); retrying will not help",
    kinds={"duckdb", "pandas", "tensorflow"},
    group_name="full_day",
    pool=MODEL_SCORING,
    retry_policy=TRANSIENT_RETRY,
)
def daily_scores(
    context: AssetExecutionContext,
    config: DailyScoresConfig,
    day: Day,
    audio_archive: AudioArchiveResource,
    classifier: ClassifierResource,
    checkpoints: FileStore,
) -> Iterator[Output[pd.DataFrame]]:
    """A score for every model window of the UTC day file (window start on the model's true step).

    Read and scored one chunk (ten minutes) at a time; finished chunks are checkpointed, so a killed
    run resumes with the chunks not yet done. Gaps and missing audio give no rows and are listed.
    """
    archive = audio_archive.open()
    try:
        model = classifier.load(config.context_step_samples)
    except ModelLoadError as error:
        raise model_load_failure(error) from error
    audio = _probe_day(archive, day)
    plan = plan_day_chunks(
        audio.n_samples, model.grid, archive.sample_rate, config.chunk_s, margin_windows=neighbourhood_windows(model)
    )
    store = ScoreCheckpoints(checkpoints, day, classifier.fingerprint_label, plan)
    day_scores = _score_day(context, config, archive, day, model, plan, store, audio.problems)
    table = daily_score_table(day, plan.window_times(day.start_ns), day_scores.scores, classifier.label)
    metadata = _describe(table, day_scores, classifier.label, model, audio.problems)
    if ignored := ignored_step(config.context_step_samples, model):
        context.log.warning(f"run config ignored: {ignored}")
        metadata[IGNORED_SETTINGS_KEY] = MetadataValue.json(ignored)
    yield Output(table, metadata=metadata)
    # Reached only after the IO manager has stored the table.
    if not config.keep_checkpoints:
        store.remove_day()


def _probe_day(archive: AudioArchive, day: Day) -> DayAudio:
    """What audio the archive has for the day: none, all of it, or a truncated file's whole samples."""
    try:
        n_samples, truncated = archive.available_samples(day)
    except AudioUnavailable as missing:
        return DayAudio(0, [str(missing)])
    except CorruptWavHeader as corrupt:
        raise corrupt_archive_failure(corrupt) from corrupt
    return DayAudio(n_samples, [truncated] if truncated else [])


def _score_day(
    context: AssetExecutionContext,
    config: DailyScoresConfig,
    archive: AudioArchive,
    day: Day,
    model: Classifier,
    plan: DayChunkPlan,
    store: ScoreCheckpoints,
    problems: list[str],
) -> DayScores:
    """Every chunk of the plan scored or taken from its checkpoint; chunks without audio go to `problems`."""

    def log_chunk(outcome: ChunkOutcome) -> None:
        chunk = outcome.chunk
        what = f"chunk {chunk.index} (windows {chunk.first_window}-{chunk.stop_window - 1})"
        if outcome.source == "unavailable":
            problems.append(f"{what}: {outcome.reason}")
            context.log.warning(f"{what}: no audio ({outcome.reason})")
        else:
            context.log.info(f"{what}: {outcome.source}")

    return score_day(
        plan,
        model,
        lambda chunk: archive.read_samples(day, chunk.read_start, chunk.read_stop),
        checkpoints=store,
        unavailable=(AudioUnavailable,),
        prefetch=config.prefetch,
        on_chunk=log_chunk,
    )


def _describe(
    table: pd.DataFrame, day_scores: DayScores, label: str, model: Classifier, problems: list[str]
) -> dict[str, Any]:
    """The output metadata: windows and chunks by outcome, hours without scores, what was missing."""
    plan = day_scores.plan
    hours_with_scores = set(table["time_utc"].dt.hour)
    missing_hours = [h for h in range(DAY_SECONDS // 3600) if h not in hours_with_scores]
    return {
        "model": label,
        "step_s": model.grid.step_s,
        "windows": int(plan.n_windows),
        "windows_scored": len(table),
        "windows_without_audio": int(plan.n_windows - len(table)),
        "chunks_scored": day_scores.count("scored"),
        "chunks_from_checkpoints": day_scores.count("checkpoint"),
        "chunks_unavailable": day_scores.count("unavailable"),
        "missing_hours": MetadataValue.json(missing_hours),
        "problems": MetadataValue.json(problems),
        "max_score": float(table["score"].max()) if len(table) else None,
        CLASSIFIER_KEY: label,
        **table_metadata("daily_scores", table),
        INCOMPLETE_KEY: bool(problems),  # audio may still arrive: such a day is not reused
    }
