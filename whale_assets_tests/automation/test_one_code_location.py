"""The README's commands agree on one code location: `make dev`'s `dagster dev` and the CLI.

Runs record their code location and the daemon launches them there, so a CLI that named the
location differently from the UI would record backfill runs that fail at dequeue ("Location ...
does not exist in workspace") and start a schedule the UI shows as stopped.
"""

from __future__ import annotations

import time

import pytest

from whale_assets_tests.support.dagster_dev import BIN, FINISHED_RUN, LOCATION, partition_of, running_dagster_dev
from whale_assets_tests.support.world import World, export_row

pytestmark = pytest.mark.slow  # a real dagster dev and one backfilled day

DAY = "2023-09-16"  # no day file in the archive: a cheap no_audio run
RUN_TIMEOUT_S = 240


def test_cli_backfill_and_schedule_start_act_on_the_location_the_ui_serves(tmp_path):
    world = World(tmp_path / "world")
    world.encounters(export_row("cli", f"{DAY} 12:00:00"))
    world.write_archive()
    with running_dagster_dev(world, tmp_path) as server:
        assert [entry["name"] for entry in server.locations()] == [LOCATION]

        backfill = server.cli("job", "backfill", "-w", "workspace.yaml", "-l", LOCATION, "-j", "whale_pipeline",
                              "--from", DAY, "--to", DAY, "--noprompt")
        assert backfill.returncode == 0, backfill.stdout + backfill.stderr
        started = server.cli("schedule", "start", "-w", "workspace.yaml", "-l", LOCATION, "whale_pipeline_schedule")
        assert started.returncode == 0, started.stdout + started.stderr

        [entry] = server.locations()
        [repository] = entry["locationOrLoadError"]["repositories"]
        assert {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]} == {
            "whale_pipeline_schedule": "RUNNING"
        }

        deadline = time.monotonic() + RUN_TIMEOUT_S
        # whale_pipeline's runs only: automation may follow with the day's deliverables.
        while not (runs := [r for r in server.runs() if partition_of(r) == DAY and r["jobName"] == "whale_pipeline"]) or any(
            r["status"] not in FINISHED_RUN for r in runs
        ):
            assert time.monotonic() < deadline, f"the backfill's run did not finish: {runs}\n{server.tail()}"
            time.sleep(2)
        [run] = runs
        assert run["repositoryOrigin"]["repositoryLocationName"] == LOCATION
        assert (run["jobName"], run["status"]) == ("whale_pipeline", "SUCCESS"), server.tail()
        assert "does not exist in workspace" not in server.log.read_text(errors="replace")


@pytest.mark.skipif(not (BIN / "dg").exists(), reason="dg (dagster-dg-cli) is not installed beside this Python")
def test_dg_dev_serves_the_same_location_name_as_dagster_dev(tmp_path):
    world = World(tmp_path / "world")
    world.encounters(export_row("dg", f"{DAY} 12:00:00"))
    world.write_archive()
    with running_dagster_dev(world, tmp_path, tool="dg") as server:
        assert [entry["name"] for entry in server.locations()] == [LOCATION]
