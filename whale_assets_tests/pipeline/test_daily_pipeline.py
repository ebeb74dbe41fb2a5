"""A UTC day through all five assets with a real temporary Dagster instance."""

from __future__ import annotations

import importlib
import json

import pandas as pd
import pytest

from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.storage.partition_files import LOCK_NAME
from whale_assets_tests.support.pipeline import DAY, SNRS_DB, SONG_UTC, build_song_day, query, run_day, run_day_result
from whale_assets_tests.support.world import export_row

CONTEXT_S = 3.92  # the model context each sifted region is padded by, each side


@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_a_day_with_song_is_detected_where_the_song_is(world, instance, snr_db):
    build_song_day(world, snr_db)
    settings = world.settings()
    assert run_day(settings, instance).success

    results = query(settings, "select * from whale_results order by start_utc")
    assert list(results["encounter_id"]) == ["sing", "quiet"]
    sing, quiet = results.iloc[0], results.iloc[1]
    # Background alone has no band energy above the noise floor: nothing to score.
    assert list(results["status"]) == ["ok", "no_signal"]
    assert bool(sing["detected"]) and not bool(quiet["detected"])
    # A score's time is its window's start, so the peak may sit up to one window before the song.
    assert SONG_UTC[0] - pd.Timedelta(seconds=CONTEXT_S) <= sing["peak_score_utc"] <= SONG_UTC[1]
    # Only the song (60 s) plus one model context each side is kept and scored, so the pooled
    # score is the song's, not diluted by the rest of the 4-minute window (measured: 0.77 at
    # 6 dB, 0.80 at 10 dB, 0.84 at 15 dB; the 6 dB sift trims the faintest edges of the song).
    assert 55 <= sing["sifted_seconds"] <= 60 + 2 * CONTEXT_S + 5
    assert sing["pooled_score"] > 0.7
    assert sing["model"] == "energy" and sing["n_scores"] > 0
    assert (results["date"] == pd.Timestamp(DAY)).all()


def test_every_result_points_at_its_stored_arrays_and_figure(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    row = query(settings, "select * from whale_results where encounter_id = 'sing'").iloc[0]
    for column in ("audio_path", "classification_path", "img_path"):
        assert open(row[column], "rb").read(6) in (b"\x93NUMPY", b"\x89PNG\r\n")
    index = json.loads((settings.data_dir / "raw_audio" / DAY / "index.json").read_text())
    [window] = [w for w in index["windows"] if "sing" in w["encounter_ids"]]
    assert window["start_utc"].startswith("2023-09-14T15:59:00")
    assert window["n_samples"] == (2 * 60 + 2 * 60) * 16_000


def test_each_figures_title_gives_its_rows_pooled_score_and_detection(world, instance, monkeypatch):
    whale_results = importlib.import_module("whale_assets.assets.whale_results")  # the module, not the asset
    titles: dict[str, str] = {}
    render = whale_results.render_encounter_png

    def recording_render(spectrogram, track, span, summary, rule=None):
        titles[summary.encounter_id] = summary.title()
        # The score panel draws the track the rows were labelled from: the configured detection rule.
        assert rule == DetectionRule(0.5, 5)
        return render(spectrogram, track, span, summary, rule)

    monkeypatch.setattr(whale_results, "render_encounter_png", recording_render)
    build_song_day(world)
    settings = world.settings()
    assert run_day(settings, instance).success
    rows = query(settings, "select encounter_id, window_id, pooled_score, detected from whale_results")
    assert set(titles) == set(rows["encounter_id"])
    for row in rows.itertuples():
        score = "no score" if pd.isna(row.pooled_score) else f"pooled {row.pooled_score:.2f}"
        detection = "detected" if row.detected else "not detected"
        assert titles[row.encounter_id] == f"{row.encounter_id} · window {row.window_id} · {score} · {detection}"


def test_encounter_filters_are_counted_in_the_materialization(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    event = instance.get_latest_materialization_event(_key("encounters"))
    metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    assert metadata["rows_kept"] == 2
    assert metadata["rows_outside_radius"] == 1
    assert metadata["rows_other_species"] == 1
    assert metadata["rows_outside_day"] == 1


def test_a_day_without_encounters_materializes_empty_tables(world, instance):
    world.encounters()
    settings = world.settings()
    assert run_day(settings, instance).success
    assert len(query(settings, "select * from encounters")) == 0
    assert len(query(settings, "select * from whale_results")) == 0


def test_a_day_whose_audio_is_missing_keeps_its_encounters_as_no_audio(world, instance):
    world.encounters(export_row("lonely", "2023-09-14 10:00:00"))
    settings = world.settings()
    assert run_day(settings, instance).success
    results = query(settings, "select * from whale_results")
    assert list(results["status"]) == ["no_audio"]
    assert results["n_scores"].tolist() == [0] and not results["detected"].any()


def test_rematerializing_a_day_replaces_its_rows_without_duplicates(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    first = query(settings, "select encounter_id, pooled_score from whale_results order by 1")
    assert run_day(settings, instance, whale_results={"pooling": "max"}).success
    second = query(settings, "select encounter_id, pooled_score from whale_results order by 1")
    assert len(second) == len(first) == 2
    scored = first["pooled_score"].notna()  # the quiet window has no signal, so no score
    assert scored.any() and second["pooled_score"].notna().tolist() == scored.tolist()
    assert (second["pooled_score"][scored] >= first["pooled_score"][scored]).all()
    assert query(settings, "select count(*) as n from encounters")["n"][0] == 2
    stored = sorted(p.name for p in (settings.data_dir / "raw_audio" / DAY).iterdir() if p.name != LOCK_NAME)
    assert len(stored) == 3  # two windows and the index: the first run's files are gone


def test_other_days_are_untouched_by_a_days_materialization(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    world.encounters(export_row("sing", "2023-09-14 16:00:00"), export_row("next", "2023-09-15 16:00:00"))
    run_day(settings, instance, day="2023-09-15")
    counts = query(settings, "select date::date as d, count(*) as n from whale_results group by 1 order by 1")
    assert counts["n"].tolist() == [2, 1]


def _key(name: str):
    from dagster import AssetKey

    return AssetKey(name)


def test_a_corrupt_day_file_fails_the_run_naming_the_file_without_retrying(world, instance):
    from whale_assets.demo.archive_writer import archive_path

    world.encounters(export_row("a", "2023-09-14 10:00:00"))
    path = archive_path(world.archive_dir, pd.Timestamp(DAY).date())
    path.parent.mkdir(parents=True)
    path.write_bytes(b"RIFX" + b"\0" * 64)
    result = run_day_result(world.settings(), instance)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == "raw_audio"
    assert str(path) in failure.event_specific_data.error.message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
