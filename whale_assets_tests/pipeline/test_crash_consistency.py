"""Issue 14, finding 4: after a crashed or killed run, the next run leaves no orphan files and no
result row naming a missing file."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from whale_assets.settings import Settings
from whale_assets_tests.support.pipeline import DAY, build_song_day, query, reused_flags, run_day, run_day_result
from whale_assets_tests.support.processes import sigkill_when_ready

whale_results = importlib.import_module("whale_assets.assets.whale_results")  # the module, not the asset

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

KILLED_RUN = """
import importlib, pathlib, sys, time
from dagster import materialize
from whale_assets.assets import PIPELINE_ASSETS
from whale_assets.definitions import build_resources
from whale_assets.settings import Settings

ready = pathlib.Path(sys.argv[1])
whale_results = importlib.import_module("whale_assets.assets.whale_results")
render = whale_results.render_encounter_png

calls = []

def render_then_hang(*args, **kwargs):
    if calls:  # the first figure is written: say so, and be killed here, the table not yet stored
        ready.touch()
        time.sleep(120)
    calls.append(1)
    return render(*args, **kwargs)

whale_results.render_encounter_png = render_then_hang
run_config = {"ops": {"raw_audio": {"config": {"margin_s": 60.0}}, "whale_results": {"config": {"force": True}}}}
materialize(PIPELINE_ASSETS, partition_key=sys.argv[2], resources=build_resources(Settings.from_env()), run_config=run_config)
"""


def figures(settings: Settings) -> set[str]:
    return {path.name for path in (settings.data_dir / "images" / DAY).glob("*.png")}


def assert_rows_name_existing_files(settings: Settings) -> None:
    rows = query(settings, "select * from whale_results")
    for column in ("audio_path", "classification_path", "img_path"):
        for path in rows[column].dropna():
            assert Path(path).exists(), f"{column} {path} is missing"


def assert_consistent(settings: Settings) -> None:
    """Every stored row names files that exist, and every figure of the day is named by a row."""
    assert_rows_name_existing_files(settings)
    rows = query(settings, "select img_path from whale_results")
    assert figures(settings) == {Path(path).name for path in rows["img_path"].dropna()}


@pytest.mark.slow
def test_results_built_on_array_files_since_replaced_are_recomputed(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    forced = run_day(settings, instance, raw_audio={"force": True})  # new raw_audio files, old ones removed
    assert reused_flags(forced)["whale_results"] is False
    assert reused_flags(forced)["classifications"] is True  # only the table that names the files
    assert_rows_name_existing_files(settings)
    run_day(settings, instance)
    assert_consistent(settings)


def test_a_run_failing_mid_figures_leaves_the_stored_results_and_their_figures_whole(world, instance, monkeypatch):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    before = query(settings, "select encounter_id, img_path from whale_results order by 1")
    committed = {path: Path(path).read_bytes() for path in before["img_path"].dropna()}
    calls = []
    render = whale_results.render_encounter_png

    def render_then_fail(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return render(*args, **kwargs)

    monkeypatch.setattr(whale_results, "render_encounter_png", render_then_fail)
    # Another threshold draws another figure: the failed run must not overwrite the committed ones.
    assert not run_day_result(settings, instance, whale_results={"force": True, "threshold": 0.3}).success
    assert query(settings, "select encounter_id, img_path from whale_results order by 1").equals(before)
    assert {path: Path(path).read_bytes() for path in committed} == committed
    assert_consistent(settings)


@pytest.mark.slow
def test_the_run_after_a_killed_one_removes_its_figures_and_names_only_files_that_exist(world, instance, tmp_path):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    ready = tmp_path / "ready"
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "DAGSTER_HOME": str(tmp_path / "home"), **settings_env(settings)}
    (tmp_path / "home").mkdir()
    killed = subprocess.Popen([sys.executable, "-c", KILLED_RUN, str(ready), DAY], env=env)
    sigkill_when_ready(killed, ready, 180, "the run never reached its figures")
    named = {Path(p).name for p in query(settings, "select img_path from whale_results")["img_path"].dropna()}
    assert figures(settings) - named, "the killed run should have left a figure no row names"

    run_day(settings, instance)
    assert_consistent(settings)


def settings_env(settings: Settings) -> dict[str, str]:
    return {
        "WHALE_DATA_DIR": str(settings.data_dir),
        "WHALE_ENCOUNTERS": str(settings.encounters),
        "WHALE_AUDIO_SOURCE": str(settings.audio_source),
        "WHALE_CLASSIFIER": settings.classifier,
    }
