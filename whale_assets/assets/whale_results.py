"""`whale_results`: one labelled row per encounter, with a figure of its window."""

from typing import Literal

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, asset
from pydantic import Field, field_validator

from whale_assets.assets.partitions import DAILY_TABLE, day_start_utc, partition_day
from whale_assets.assets.policies import DUCKDB_WRITERS
from whale_assets.assets.reuse import ReusableConfig, check_reuse
from whale_assets.assets.run_config import reject_invalid_run_config
from whale_assets.core.reports.window_figure import (
    render_encounter_png,
    window_spectrogram,
)
from whale_assets.core.scoring.pooling import check_kernel
from whale_assets.core.tables.results import Labelling, WindowOutcome, build_results
from whale_assets.core.windows import WindowRecord
from whale_assets.resources import FileStore, FingerprintStore
from whale_assets.storage.metadata_keys import rows_with_status_key
from whale_assets.storage.names import safe_file_name
from whale_assets.storage.window_arrays import StoredWindows


class ResultsConfig(ReusableConfig):
    ASSET = "whale_results"
    pooling: Literal["mean", "max", "median", "p90"] = Field("mean", description="How a window's scores become one")
    threshold: float = Field(0.5, ge=0, le=1, description="Median-filtered score at or above this means detected")
    median_filter_windows: int = Field(5, ge=1, description="Median filter length in model windows (odd)")
    images: bool = Field(True, description="Write a spectrogram PNG per encounter")

    @field_validator("median_filter_windows")
    @classmethod
    def _odd(cls, windows: int) -> int:
        check_kernel(windows)
        return windows


@asset(
    **DAILY_TABLE,
    kinds={"duckdb", "pandas"},
    group_name="whale_pipeline",
    pool=DUCKDB_WRITERS,
)
def whale_results(
    context: AssetExecutionContext,
    config: ResultsConfig,
    encounters: pd.DataFrame,
    raw_audio: StoredWindows,
    sifted_audio: StoredWindows,
    classifications: StoredWindows,
    images: FileStore,
    fingerprints: FingerprintStore,
) -> pd.DataFrame:
    """Pooled score, detection and peak time per encounter; status `ok`, `no_audio` or `no_signal`."""
    reject_invalid_run_config(context)
    upstream = ["encounters", "raw_audio", "sifted_audio", "classifications"]
    if (reuse := check_reuse(context, fingerprints, config, upstream)).reused:
        return reuse.placeholder
    day = partition_day(context)
    outcomes = [_outcome(window, raw_audio, sifted_audio, classifications) for window in raw_audio]
    labelling = Labelling(config.pooling, config.threshold, config.median_filter_windows)
    img_paths = (
        _write_figures(context, encounters, raw_audio, classifications, config, images) if config.images else {}
    )
    results = build_results(day_start_utc(day), encounters, outcomes, labelling, img_paths)
    context.add_output_metadata(
        {
            "encounters": len(results),
            "detected": int(results["detected"].sum()),
            **{rows_with_status_key(s): int(n) for s, n in results["status"].value_counts().items()},
            "preview": MetadataValue.md(
                results[["encounter_id", "status", "pooled_score", "detected", "peak_score_utc"]].to_markdown(
                    index=False
                )
            )
            if len(results)
            else "no encounters",
        }
    )
    return results


def _outcome(window: WindowRecord, raw: StoredWindows, sifted: StoredWindows, scored: StoredWindows) -> WindowOutcome:
    window_id = window.window_id
    kept = sifted.record(window_id)
    score = scored.record(window_id)
    track = scored.load(window_id)
    return WindowOutcome(
        window_id=window_id,
        encounter_ids=window.encounter_ids,
        status=score.status,
        score_times_utc=track["start_utc"] if track is not None else np.array([], "datetime64[ns]"),
        scores=track["score"] if track is not None else np.array([], np.float32),
        sifted_start_utc=kept.start_utc if score.ok else None,
        sifted_end_utc=kept.end_utc if score.ok else None,
        sifted_seconds=kept.sifted_seconds if score.ok else None,
        model=score.model,
        audio_path=raw.array_path(window_id),
        classification_path=scored.array_path(window_id),
    )


def _write_figures(
    context: AssetExecutionContext,
    encounters: pd.DataFrame,
    raw: StoredWindows,
    scored: StoredWindows,
    config: ResultsConfig,
    images: FileStore,
) -> dict[str, str]:
    by_id = encounters.set_index(encounters["encounter_id"].astype(str))
    paths: dict[str, str] = {}
    for window in raw:
        audio = raw.load(window.window_id)
        if audio is None or audio.size == 0:
            continue
        spectrogram = window_spectrogram(audio, int(window.sample_rate), window.start_utc)
        track = scored.load(window.window_id)
        for encounter_id in window.encounter_ids:
            row = by_id.loc[str(encounter_id)]
            png = render_encounter_png(
                spectrogram,
                track,
                (row["start_utc"], row["end_utc"]),
                title=f"encounter {encounter_id}, window {window.window_id}",
                threshold=config.threshold,
            )
            paths[str(encounter_id)] = images.write(f"{context.partition_key}/{safe_file_name(str(encounter_id))}.png", png)
    return paths
