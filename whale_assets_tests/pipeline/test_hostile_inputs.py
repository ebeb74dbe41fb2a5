"""Hostile or broken inputs end in clear outcomes, never in files outside the data folder (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from dagster import AssetKey

from whale_assets.storage.names import safe_file_name
from whale_assets_tests.pipeline.conftest import query, run_day
from whale_assets_tests.support.world import World, export_row

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
    assert png.name == f"{safe_file_name(ESCAPING_ID)}.png"
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
