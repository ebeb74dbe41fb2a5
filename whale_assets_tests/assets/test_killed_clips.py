"""A killed `encounter_clips` run must not leave rows naming deleted clips reused for good (issue 23, finding 13).

The kill is reproduced by its outcome: the run wrote new clips and removed the old ones, then
died before committing the table, so the stored rows name clips that are gone while the
fingerprint (same settings, same inputs) still matches. The next plain run must recompute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from whale_assets_tests.support.pipeline import build_song_day, deliver_clips, query, reused_flags, run_day

pytestmark = pytest.mark.faults


def test_rows_naming_clips_a_killed_run_removed_are_recomputed_not_reused(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    assert deliver_clips(settings, instance).success
    named = list(query(settings, "select clip_path from encounter_clips")["clip_path"])
    assert named
    for path in named:
        Path(path).unlink()

    again = deliver_clips(settings, instance)
    assert again.success
    assert reused_flags(again) == {"encounter_clips": False}
    now = list(query(settings, "select clip_path from encounter_clips")["clip_path"])
    assert len(now) == len(named) and all(Path(path).is_file() for path in now)


def test_a_plain_rerun_with_every_clip_present_is_still_reused(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    assert deliver_clips(settings, instance).success
    assert reused_flags(deliver_clips(settings, instance)) == {"encounter_clips": True}
