"""A recompute removes the figures it replaced itself, not the day's next run (issue 23, finding 11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from whale_assets_tests.support.pipeline import DAY, build_song_day, query, run_day

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def test_a_forced_recompute_leaves_only_the_figures_its_rows_name(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    figures = settings.data_dir / "images" / DAY
    first = {p.name for p in figures.glob("*.png")}

    run_day(settings, instance, whale_results={"force": True})

    named = {Path(p).name for p in query(settings, "select img_path from whale_results")["img_path"].dropna()}
    on_disk = {p.name for p in figures.glob("*.png")}
    assert first and named and on_disk == named
    assert not first & on_disk  # every replaced figure is gone after the run that replaced it
