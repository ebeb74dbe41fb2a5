"""Two runs of one day at once, on two instances sharing one data dir (issue 23, finding 2).

Two instances bypass each other's run queue, so nothing serialises the runs but storage: each
run is a process forcing every asset of the day (`support/same_day_run.py`), round after round.
Before the fix one of them failed in whale_results with FileNotFoundError on an array the other
had replaced. `bench/same_day_runs.py` runs the issue's 20 rounds.
"""

from __future__ import annotations

import duckdb
import pytest
from upath import UPath

from whale_assets.storage.window_arrays import read_partition
from whale_assets_tests.support.pipeline import DAY, build_song_day
from whale_assets_tests.support.same_day_run import two_runs_at_once
from whale_assets_tests.support.world import World

pytestmark = [pytest.mark.slow, pytest.mark.faults]

ROUNDS = 3


def test_two_forced_runs_of_one_day_on_two_instances_both_succeed_round_after_round(tmp_path):
    world = World(tmp_path / "world")
    build_song_day(world)
    homes = (tmp_path / "instance-a", tmp_path / "instance-b")
    rounds = [two_runs_at_once(world.root, homes, DAY) for _ in range(ROUNDS)]

    failed = [(n, r.statuses, r.errors) for n, r in enumerate(rounds) if not r.both_succeeded]
    assert not failed, failed[:1]
    for asset in ("raw_audio", "sifted_audio", "classifications"):
        assert read_partition(UPath(world.data_dir) / asset / DAY).missing_files() == [], asset
    with duckdb.connect(str(world.data_dir / "whale.duckdb"), read_only=True) as results:
        rows = results.sql("select encounter_id from whale_results order by 1").fetchall()
    assert rows == [("quiet",), ("sing",)]
