"""A run worker SIGKILLed inside a pooled step, under a real `dagster dev` daemon (issue 23, finding 1).

The run's `encounters` step holds the `duckdb_writers` slot and waits for the DuckDB file, which
the test keeps locked (a reader left open). The test kills the worker process (the pid it logged
as it started) with SIGKILL, then watches what the daemon does with the project's dagster.yaml:
run monitoring must mark the run failed and free its slot, and run retries must re-execute it
once, to SUCCESS. Before SameHostRunLauncher the run stayed STARTED (and the slot taken) until
`max_runtime_seconds`, 6 h. Every wait is bounded; everything started is stopped by process group.
"""

from __future__ import annotations

import os
import re
import signal
import time

import duckdb
import psutil
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from whale_assets_tests.support import dagster_dev
from whale_assets_tests.support.dagster_dev import LOCATION, running_dagster_dev
from whale_assets_tests.support.world import World, export_row

pytestmark = [pytest.mark.slow, pytest.mark.faults]

DAY = "2023-09-14"
DEAD_RUN_NOTICED_WITHIN_S = 300  # the bar; dagster.yaml polls every 30 s
STEP_TIMEOUT_S = 300
RETRY_TIMEOUT_S = 420
LAUNCH_RUN = """
mutation($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
STARTED_PID = re.compile(r"Started process for run \(pid: (\d+)\)")


def make_world(root) -> World:
    world = World(root)
    world.encounters(export_row("k0", f"{DAY} 10:00:00"))
    world.audio(f"{DAY} 09:58:00", 240.0, seed=3)
    world.write_archive()
    return world


def wait_for(what: str, condition, timeout_s: float, server, interval_s: float = 1.0):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s} s\n{server.tail()}")
        time.sleep(interval_s)


def worker_pid(instance: DagsterInstance, run_id: str) -> int | None:
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        found = STARTED_PID.search(entry.dagster_event.message or "")
        if found:
            return int(found.group(1))
    return None


def step_started(instance: DagsterInstance, run_id: str, step: str) -> bool:
    return any(e.dagster_event.step_key == step for e in instance.all_logs(run_id, of_type=DagsterEventType.STEP_START))


def slot_holders(instance: DagsterInstance, pool: str) -> set[str]:
    return {claim.run_id for claim in instance.event_log_storage.get_concurrency_info(pool).claimed_slots}


@pytest.mark.parametrize("with_code_server", [False, True], ids=["worker", "worker-and-code-server"])
def test_a_sigkilled_run_worker_is_failed_at_the_next_poll_its_slot_freed_and_its_day_retried_once(
    tmp_path, monkeypatch, with_code_server
):
    """`worker`: the code server that spawned the worker sees it die and fails the run itself.
    `worker-and-code-server`: the code server dies too (out of memory, a reload), so only run
    monitoring, through SameHostRunLauncher's health check, can find the dead worker."""
    monkeypatch.setattr(dagster_dev, "STARTUP_TIMEOUT_S", 600)  # a loaded shared machine starts dagster dev slowly
    world = make_world(tmp_path / "world")
    with running_dagster_dev(world, tmp_path) as server:
        home = server.env["DAGSTER_HOME"]
        world.data_dir.mkdir(parents=True, exist_ok=True)
        holder = duckdb.connect(str(world.data_dir / "whale.duckdb"))  # encounters waits for this lock
        try:
            launched = server.graphql(
                LAUNCH_RUN,
                {
                    "params": {
                        "selector": {
                            "repositoryLocationName": LOCATION,
                            "repositoryName": "__repository__",
                            "jobName": "whale_pipeline",
                        },
                        "runConfigData": {"ops": {"raw_audio": {"config": {"margin_s": 60.0}}}},
                        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": DAY}]},
                    }
                },
            )["launchRun"]
            assert launched["__typename"] == "LaunchRunSuccess", launched
            with DagsterInstance.from_ref(InstanceRef.from_dir(home)) as instance:
                [record] = instance.get_run_records(RunsFilter(tags={"dagster/partition": DAY}))
                run_id = record.dagster_run.run_id
                wait_for(
                    "encounters holding duckdb_writers",
                    lambda: (
                        step_started(instance, run_id, "encounters")
                        and run_id in slot_holders(instance, "duckdb_writers")
                    ),
                    STEP_TIMEOUT_S,
                    server,
                )
                pid = worker_pid(instance, run_id)
                assert pid is not None

                if with_code_server:
                    os.kill(psutil.Process(pid).ppid(), signal.SIGKILL)  # the gRPC server that spawned it
                os.kill(pid, signal.SIGKILL)
                killed_at = time.monotonic()
                holder.close()

                failed = wait_for(
                    "the killed run marked failed",
                    lambda: instance.get_run_by_id(run_id).status == DagsterRunStatus.FAILURE or None,
                    DEAD_RUN_NOTICED_WITHIN_S,
                    server,
                )
                failed_after_s = time.monotonic() - killed_at
                assert failed
                wait_for(
                    "its duckdb_writers slot freed",
                    lambda: run_id not in slot_holders(instance, "duckdb_writers"),
                    DEAD_RUN_NOTICED_WITHIN_S,
                    server,
                )
                freed_after_s = time.monotonic() - killed_at
                print(f"SIGKILL -> run FAILURE {failed_after_s:.0f} s, slot freed {freed_after_s:.0f} s")

                messages = [e.message for e in instance.all_logs(run_id) if e.message]
                if not with_code_server:
                    assert any(f"Run execution process for {run_id}" in m for m in messages), messages[-5:]
                    print("failed by the code server that spawned the worker")
                else:
                    assert any(f"run worker process {pid} is gone" in m for m in messages), messages[-5:]
                    return  # its code server is gone: the retry's launch depends on dagster dev restarting it

                retries = wait_for(
                    "one retry of the day, to SUCCESS",
                    lambda: [
                        r
                        for r in instance.get_runs(RunsFilter(tags={"dagster/parent_run_id": run_id}))
                        if r.status in (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE)
                    ],
                    RETRY_TIMEOUT_S,
                    server,
                    interval_s=3.0,
                )
                assert [r.status for r in retries] == [DagsterRunStatus.SUCCESS], server.tail()
                assert retries[0].tags["dagster/partition"] == DAY
        finally:
            holder.close()
    with duckdb.connect(str(world.data_dir / "whale.duckdb"), read_only=True) as results:
        assert results.sql("select encounter_id from whale_results").fetchall() == [("k0",)]
