"""`whale_results`: one labelled row per encounter, with a figure of its window."""

import base64
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import PurePosixPath
from typing import Literal

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, MetadataValue, Output
from pydantic import Field
from upath import UPath

from whale_assets.assets.daily import DUCKDB_TABLE, daily_asset
from whale_assets.assets.detection import DetectionConfig
from whale_assets.assets.policies import STORAGE_WHAT_TO_DO
from whale_assets.assets.provenance import settings_metadata
from whale_assets.assets.table_metadata import table_metadata
from whale_assets.core.reports.streamed_spectrogram import streamed_spectrogram
from whale_assets.core.reports.window_figure import EncounterSummary, preview_png, render_encounter_png
from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.core.tables.provenance import upstream_provenance
from whale_assets.core.tables.results import Labelling, WindowOutcome, build_results
from whale_assets.core.utc import Day
from whale_assets.core.windows import WindowRecord, WindowStatus
from whale_assets.resources import FileStore, StoredTables
from whale_assets.storage.metadata_keys import rows_with_status_key
from whale_assets.storage.names import safe_file_name
from whale_assets.storage.partition_files import present_files
from whale_assets.storage.window_arrays import StoredWindows

# The day's spectrograms: their folder, one path per encounter, and the best one's path and inline preview.
FIGURES_DIR_KEY = "figures_dir"
FIGURES_KEY = "figures"
BEST_FIGURE_KEY = "best_figure"
BEST_SPECTROGRAM_KEY = "best_spectrogram"
# The columns naming stored files: a row is only as good as the files it names.
PATH_COLUMNS = ("audio_path", "classification_path", "img_path")
# The row layout is part of the fingerprint, so days stored in an older layout are recomputed once.
# 2: provenance columns (run_id, margin_s, sift and classifier settings, threshold, ...).
RESULTS_LAYOUT = 2


class ResultsConfig(DetectionConfig):
    pooling: Literal["mean", "max", "median", "p90"] = Field("mean", description="How a window's scores become one")
    images: bool = Field(True, description="Write a spectrogram PNG per encounter")


def _remove_stored_orphans(
    context: AssetExecutionContext, images: FileStore, stored_tables: StoredTables, day: Day
) -> None:
    """Before the reuse decision: the figures a replaced or killed run left go, reused partition or not."""
    _remove_orphan_figures(context, images, _stored_results(context, stored_tables, day))


def _stored_files_missing(context: AssetExecutionContext, stored_tables: StoredTables, day: Day) -> list[str]:
    """The files the stored rows name that are gone (listed only when the stored rows could be reused)."""
    return _missing_files(_stored_results(context, stored_tables, day))


@daily_asset(
    DUCKDB_TABLE,
    prepare=_remove_stored_orphans,
    fingerprint_extra=lambda: {"layout": RESULTS_LAYOUT},
    missing_files=_stored_files_missing,
    what_to_do=STORAGE_WHAT_TO_DO,  # e.g. a figure path a symlink leads out: named, not a bare traceback
    group_name="whale_pipeline",
)
def whale_results(
    context: AssetExecutionContext,
    config: ResultsConfig,
    day: Day,
    encounters: pd.DataFrame,
    raw_audio: StoredWindows,
    sifted_audio: StoredWindows,
    classifications: StoredWindows,
    images: FileStore,
    stored_tables: StoredTables,
) -> Iterator[Output[pd.DataFrame]]:
    """Pooled score, detection and peak time per encounter; status `ok`, `no_audio` or `no_signal`.

    A generator so that the figures the new rows replace are removed right after the table is
    committed (Dagster stores a yielded Output before the body resumes), by the run that replaced them.
    """
    outcomes = [_outcome(window, raw_audio, sifted_audio, classifications) for window in raw_audio]
    labelling = Labelling(config.pooling, config.rule)
    provenance = upstream_provenance(
        context.run_id,
        raw_audio.attributes,
        sifted_audio.attributes,
        classifications.attributes,
        config.rule,
    )
    results = build_results(day, encounters, outcomes, labelling, provenance=provenance)
    if config.images:  # drawn from the rows: their titles give the pooled score and detection
        img_paths = _write_figures(day, results, raw_audio, classifications, config.rule, images)
        results["img_path"] = results["encounter_id"].map(img_paths).astype(results["img_path"].dtype)
    context.add_output_metadata(
        {
            "encounters": len(results),
            "detected": int(results["detected"].sum()),
            # Every status, zeros included: a count missing on some days leaves gaps in plots.
            **{rows_with_status_key(s.value): int((results["status"] == s.value).sum()) for s in WindowStatus},
            "preview": MetadataValue.md(
                results[["encounter_id", "status", "pooled_score", "detected", "peak_score_utc"]].to_markdown(
                    index=False
                )
            )
            if len(results)
            else "no encounters",
            **_figure_metadata(results, images, context.partition_key),
            **settings_metadata(context, provenance),
            **table_metadata("whale_results", results),
        }
    )
    yield Output(results)
    # Stored: the previous rows' figures are named by nothing now (safe: whale_results runs of one
    # day never overlap, the duckdb_writers pool).
    _remove_orphan_figures(context, images, results)


def _figure_metadata(results: pd.DataFrame, images: FileStore, day: str) -> dict[str, MetadataValue]:
    """Where the day's spectrograms are, one path per encounter, and the best one inline.

    The best is the figure of the encounter with the highest pooled score; it is shown as a
    data-URI image, downscaled to stay small (`preview_png`).
    """
    with_figures = results[results["img_path"].notna()]
    if not len(with_figures):
        return {}
    paths = dict(zip(with_figures["encounter_id"].astype(str), with_figures["img_path"].astype(str), strict=True))
    scores = with_figures["pooled_score"].astype("float64").fillna(-1.0)
    best = with_figures.loc[scores.idxmax()]
    listed: dict[str, MetadataValue] = {
        FIGURES_DIR_KEY: MetadataValue.path(str(images.path(day))),
        FIGURES_KEY: MetadataValue.json(paths),
    }
    try:
        png = preview_png(UPath(str(best["img_path"])).read_bytes())
    except FileNotFoundError:
        # A run of this day on another instance (no shared pool) removed it as an orphan; its
        # rows are recomputed by the next run (reuse checks that every named file exists).
        return listed
    image = base64.b64encode(png).decode("ascii")
    return {
        **listed,
        BEST_FIGURE_KEY: MetadataValue.path(str(best["img_path"])),
        BEST_SPECTROGRAM_KEY: MetadataValue.md(
            f"encounter {best['encounter_id']}, pooled score {best['pooled_score']:.3f}\n\n"
            f"![best](data:image/png;base64,{image})"
        ),
    }


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
    day: Day, results: pd.DataFrame, raw: StoredWindows, scored: StoredWindows, rule: DetectionRule, images: FileStore
) -> dict[str, str]:
    """One PNG per encounter, named per write (`<day>/<encounter>.<token>.png`).

    The stored table keeps naming the previous write's PNGs until the new table is committed, so
    a committed table only names PNGs that exist; a failed write removes its own PNGs, and the
    ones a killed run left go at the start of the next run (`_remove_orphan_figures`).
    """
    token = uuid.uuid4().hex[:10]
    written: list[str] = []
    paths: dict[str, str] = {}
    try:
        for encounter_id, png in _encounter_pngs(results, raw, scored, rule):
            relative_path = f"{day.key}/{safe_file_name(encounter_id)}.{token}.png"
            written.append(relative_path)
            paths[encounter_id] = images.write(relative_path, png)
    except BaseException:
        for relative_path in written:
            images.remove(relative_path)
        raise
    return paths


def _encounter_pngs(
    results: pd.DataFrame, raw: StoredWindows, scored: StoredWindows, rule: DetectionRule
) -> Iterator[tuple[str, bytes]]:
    """(encounter id, its figure) for every encounter of a window with audio, drawn from its row."""
    by_id = results.set_index("encounter_id")
    for window in raw:
        n_samples = window.array.shape[0] if window.array is not None else 0
        if n_samples == 0:
            continue
        # Read in pieces: a 6-hour window is 1.3 GB of samples, its figure 800 columns.
        read = partial(raw.read_range, window.window_id)
        spectrogram = streamed_spectrogram(read, n_samples, window.required_sample_rate, window.start_utc)
        track = scored.load(window.window_id)
        for encounter_id in map(str, window.encounter_ids):
            row = by_id.loc[encounter_id]
            summary = EncounterSummary(
                encounter_id, window.window_id, float(row["pooled_score"]), bool(row["detected"])
            )
            yield (
                encounter_id,
                render_encounter_png(spectrogram, track, (row["start_utc"], row["end_utc"]), summary, rule),
            )


def _stored_results(context: AssetExecutionContext, stored_tables: StoredTables, day: Day) -> pd.DataFrame | None:
    """The day's stored rows (empty when none are), or None when they cannot be read now."""
    try:
        stored = stored_tables.read_day("whale_results", day)
    except Exception as unreadable:  # the next run tries again
        context.log.warning(f"stored whale_results of {day} unreadable, figures not cleaned up: {unreadable}")
        return None
    return pd.DataFrame() if stored is None else stored


def _remove_orphan_figures(context: AssetExecutionContext, images: FileStore, stored: pd.DataFrame | None) -> None:
    """Remove the day's PNGs that the stored results do not name: a replaced or killed run's.

    Safe because whale_results runs of one day never overlap (the `duckdb_writers` pool): PNGs
    of a write in progress would otherwise be unnamed too.
    """
    if stored is None:  # unknown: every figure might be named
        return
    paths = stored["img_path"].dropna() if "img_path" in stored else []
    named = {PurePosixPath(str(path)).name for path in paths}
    day = context.partition_key
    orphans = [name for name in images.names(day) if name.endswith(".png") and name not in named]
    for name in orphans:
        images.remove(f"{day}/{name}")
    if orphans:
        context.log.info(f"removed {len(orphans)} figures of {day} that no stored result names")


def _missing_files(stored: pd.DataFrame | None) -> list[str]:
    """The files the stored rows name that are gone (e.g. raw_audio rewritten since): one listing per folder."""
    if stored is None:
        return []
    named = [str(p) for column in PATH_COLUMNS if column in stored for p in stored[column].dropna()]
    folders: dict[str, set[str]] = {}
    for path in named:
        folder = str(UPath(path).parent)
        if folder not in folders:
            folders[folder] = present_files(UPath(folder))
    return [path for path in named if UPath(path).name not in folders[str(UPath(path).parent)]]
