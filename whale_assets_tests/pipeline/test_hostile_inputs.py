"""Hostile or broken inputs end in clear outcomes, never in files outside the data folder (issue 14)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from dagster import AssetKey

from whale_assets.definitions import build_definitions
from whale_assets.storage.names import safe_file_name
from whale_assets_tests.support.pipeline import query, run_day, run_day_result
from whale_assets_tests.support.world import World, export_row

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

ESCAPING_ID = "../../../../escape"


def test_an_encounter_id_with_dots_and_slashes_writes_its_figure_inside_the_data_folder(tmp_path, instance):
    world = World(tmp_path / "world")  # images/<day>/../../../../ is tmp_path itself
    world.encounters(export_row(ESCAPING_ID, "2023-09-14 10:00:00", "2023-09-14 10:05:00"))
    world.audio("2023-09-14 09:55:00", 15 * 60, song_at_s=(5 * 60, 7 * 60))
    world.write_archive()
    settings = world.settings()

    assert run_day(settings, instance, "2023-09-14").success

    outside = [p for p in tmp_path.rglob("*escape*") if settings.data_dir not in p.parents]
    assert outside == []
    [png] = (settings.data_dir / "images" / "2023-09-14").glob("*.png")
    assert re.fullmatch(re.escape(safe_file_name(ESCAPING_ID)) + r"\.[0-9a-f]{10}\.png", png.name)  # <id>.<token>.png
    results = query(settings, "select encounter_id, img_path from whale_results")
    assert results["encounter_id"].tolist() == [ESCAPING_ID]
    assert Path(results["img_path"][0]).resolve() == png.resolve()


def test_an_end_date_centuries_late_is_clipped_and_leaves_its_neighbours_result_intact(world, instance):
    world.encounters(
        export_row("valid", "2023-09-14 10:00:00", "2023-09-14 10:05:00"),
        export_row("typo", "2023-09-14 09:58:00", "2261-09-14 10:00:00"),
    )
    world.audio("2023-09-14 09:50:00", 30 * 60, song_at_s=(10 * 60, 12 * 60))
    world.write_archive()
    settings = world.settings()

    assert run_day(settings, instance, "2023-09-14", encounters={"max_duration_h": 0.25}).success

    stored = query(settings, "select encounter_id, end_utc, duration_clipped from encounters order by 1")
    assert stored.set_index("encounter_id")["duration_clipped"].to_dict() == {"typo": True, "valid": False}
    assert stored["end_utc"].max() == pd.Timestamp("2023-09-14 10:13:00")
    results = query(settings, "select encounter_id, status from whale_results order by 1")
    assert results.set_index("encounter_id")["status"].to_dict() == {"typo": "ok", "valid": "ok"}
    event = instance.get_latest_materialization_event(AssetKey("encounters"))
    assert event.asset_materialization.metadata["rows_duration_clipped"].value == 1


def test_a_vanished_archive_folder_loads_the_code_location_and_fails_the_run_naming_the_variable(world, instance):
    world.encounters(export_row("e", "2023-09-14 10:00:00", "2023-09-14 10:05:00"))
    settings = world.settings()
    shutil.rmtree(world.archive_dir)

    build_definitions(settings)  # the UI, the sensor and SQL stay up
    result = run_day_result(settings, instance, "2023-09-14")

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "raw_audio"
    message = failure.step_failure_data.error.message
    assert "WHALE_AUDIO_SOURCE" in message and str(world.archive_dir) in message
    assert len([e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]) == 0


def test_a_vanished_export_folder_loads_the_code_location_and_fails_encounters_naming_the_variable(world, instance):
    settings = world.settings()
    shutil.rmtree(world.encounters_dir)

    build_definitions(settings)
    result = run_day_result(settings, instance, "2023-09-14")

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert failure.step_key == "encounters"
    message = failure.step_failure_data.error.message
    assert "WHALE_ENCOUNTERS" in message and str(world.encounters_dir) in message
