"""Days the archive has no audio for: before recording began, and whole days missing later."""

from __future__ import annotations

import json

from whale_assets.core.hydrophone import FIRST_RECORDING_DAY
from whale_assets_tests.support.pipeline import query, run_day
from whale_assets_tests.support.world import export_row

BEFORE_RECORDING = "2015-07-20"
MISSING_DAY = "2018-01-21"  # one of the real archive's missing days (2018-01-20..22)


def window_reasons(settings, day: str) -> list[str]:
    index = json.loads((settings.data_dir / "raw_audio" / day / "index.json").read_text())
    return [window.get("reason", "") for window in index["windows"]]


def test_a_window_before_recording_began_and_one_on_a_missing_day_give_no_audio_rows(world, instance):
    world.encounters(
        export_row("early", f"{BEFORE_RECORDING} 18:00:00", f"{BEFORE_RECORDING} 18:05:00"),
        export_row("gap", f"{MISSING_DAY} 18:00:00", f"{MISSING_DAY} 18:05:00"),
    )
    # A stray file for the pre-recording day is not read: the day is known to have no audio.
    world.audio(f"{BEFORE_RECORDING} 17:55:00", 15 * 60, song_at_s=(6 * 60, 8 * 60))
    world.audio("2018-01-19 18:00:00", 60)
    world.audio("2018-01-23 18:00:00", 60)
    world.write_archive()
    settings = world.settings()

    for day in (BEFORE_RECORDING, MISSING_DAY):
        assert run_day(settings, instance, day=day).success

    results = query(settings, "select encounter_id, status, n_scores, detected from whale_results order by start_utc")
    assert list(results["encounter_id"]) == ["early", "gap"]
    assert list(results["status"]) == ["no_audio", "no_audio"]
    assert results["n_scores"].tolist() == [0, 0] and not results["detected"].any()
    [early] = window_reasons(settings, BEFORE_RECORDING)
    assert f"the archive begins on {FIRST_RECORDING_DAY:%Y-%m-%d}" in early
    [gap] = window_reasons(settings, MISSING_DAY)
    assert "no archive file for 2018-01-21" in gap
