"""Days the archive has no audio for: before recording began, and whole days missing later."""

from __future__ import annotations

import json

import pandas as pd
import pytest

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


def raw_windows(settings, day: str) -> list[dict]:
    return json.loads((settings.data_dir / "raw_audio" / day / "index.json").read_text())["windows"]


def test_a_window_reaching_into_a_missing_day_keeps_the_audio_of_the_day_that_exists(world, instance):
    # The demo's hw-2003 case: the encounter lies inside 09-15, its margin reaches into 09-16,
    # whose file is missing. The window keeps 09-15's audio; the missing minute is not scored.
    world.encounters(export_row("late", "2023-09-15 23:58:00", "2023-09-15 23:59:30"))
    world.audio("2023-09-15 23:55:00", 300, song_at_s=(150, 270))
    world.write_archive()
    settings = world.settings()
    assert run_day(settings, instance, day="2023-09-15").success

    [row] = query(settings, "select status, detected, n_scores, sifted_end_utc from whale_results").to_dict("records")
    assert row["status"] == "ok" and row["detected"] and row["n_scores"] > 0
    assert row["sifted_end_utc"] <= pd.Timestamp("2023-09-16 00:00:00")
    [window] = raw_windows(settings, "2023-09-15")
    assert window["status"] == "ok" and window["end_utc"] == "2023-09-16T00:00:00+00:00"
    # Asked for 23:57:00 .. 00:00:30 (210 s), 180 s exist.
    assert window["audio_coverage"] == pytest.approx(180 / 210)
    assert "no archive file for 2023-09-16" in window["reason"]


def test_a_window_reaching_into_digital_silence_is_ok_and_its_silence_is_not_scored(world, instance):
    world.encounters(export_row("edge", "2023-09-14 10:01:00", "2023-09-14 10:01:30"))
    world.audio("2023-09-14 10:00:00", 120, song_at_s=(30, 90))  # then digital silence from 10:02
    world.write_archive()
    settings = world.settings()
    assert run_day(settings, instance, day="2023-09-14").success

    [row] = query(settings, "select status, detected, sifted_end_utc from whale_results").to_dict("records")
    assert row["status"] == "ok" and row["detected"]
    # Sifted audio ends with the song plus one model context (3.92 s), not in the silence.
    assert row["sifted_end_utc"] <= pd.Timestamp("2023-09-14 10:01:30") + pd.Timedelta(seconds=4)
    [window] = raw_windows(settings, "2023-09-14")
    assert window["status"] == "ok" and window["audio_coverage"] == pytest.approx(120 / 150)
    assert "reason" not in window


def test_a_window_without_any_audio_is_no_audio_with_zero_coverage(world, instance):
    world.encounters(export_row("gone", "2023-09-14 10:00:00", "2023-09-14 10:01:00"))
    settings = world.settings()
    assert run_day(settings, instance, day="2023-09-14").success
    [window] = raw_windows(settings, "2023-09-14")
    assert window["status"] == "no_audio" and window["audio_coverage"] == 0.0


def test_a_window_of_only_digital_silence_is_no_audio(world, instance):
    world.encounters(export_row("hush", "2023-09-14 12:00:00", "2023-09-14 12:01:00"))
    world.audio("2023-09-14 10:00:00", 60)  # the day file exists; 12:00 is digital silence
    world.write_archive()
    settings = world.settings()
    assert run_day(settings, instance, day="2023-09-14").success
    [row] = query(settings, "select status, n_scores from whale_results").to_dict("records")
    assert row["status"] == "no_audio" and row["n_scores"] == 0
    [window] = raw_windows(settings, "2023-09-14")
    assert window["audio_coverage"] == 0.0 and "only digital silence" in window["reason"]
