"""A symlink planted inside the data folder never leads a write outside it (issue 23, finding 8)."""

from __future__ import annotations

import os
import time

import pytest

from whale_assets_tests.support.pipeline import DAY, build_song_day, run_day_result
from whale_assets_tests.support.world import World

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


@pytest.mark.parametrize(
    ("planted", "failed_step"),
    [("images", "whale_results"), (f"raw_audio/{DAY}", "raw_audio"), (f"raw_audio/{DAY}/.write.lock", "raw_audio")],
    ids=["figures folder", "day folder of an array asset", "a partition's write lock"],
)
def test_a_symlink_leading_out_of_the_data_folder_fails_the_write_naming_it(tmp_path, instance, planted, failed_step):
    world = World(tmp_path / "world")
    build_song_day(world)
    settings = world.settings()
    outside = tmp_path / "outside"
    outside.mkdir()
    link = settings.data_dir / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside / "target" if planted.endswith(".lock") else outside, link)

    began = time.monotonic()
    result = run_day_result(settings, instance)
    seconds = time.monotonic() - began

    failures = {e.step_key: e for e in result.all_events if e.event_type_value == "STEP_FAILURE"}
    assert not result.success and failed_step in failures
    message = failures[failed_step].event_specific_data.error.message
    assert str(link) in message and "symlink" in message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert list(outside.rglob("*")) == []  # nothing written where the symlink points
    print(f"{planted}: failed {failed_step} in {seconds:.1f} s (run)")
