"""Launch demo runs the way the UI does: queued on the instance, started by a daemon, from a code location.

Runs created this way carry their code location (`whale_assets`), so the UI can re-execute them,
and they run their job (`whale_pipeline`, `full_day_scoring`, `deliverables`) in a run worker
process as `make dev` would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRun, DagsterRunStatus, RunsFilter

LOCATION = "whale_assets"
WORKSPACE_YAML = f"""load_from:
  - python_module:
      module_name: whale_assets.definitions
      location_name: {LOCATION}
"""
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}


@dataclass(frozen=True)
class RunRequestSpec:
    """One run to launch: the job, its partition, its config and any extra tags."""

    job: str
    partition: str
    run_config: Mapping
    tags: Mapping[str, str]


@dataclass(frozen=True)
class FailedCheck:
    check_name: str
    severity: str
    description: str


def write_workspace(home: Path) -> Path:
    """A workspace file beside the instance config naming the location as the repository does."""
    workspace = home / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML)
    return workspace


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


@contextmanager
def running_daemon(home: Path, env: Mapping[str, str], workspace: Path) -> Iterator[subprocess.Popen]:
    """`dagster-daemon run` on `home` for the duration; stopped by its process id (and its group)."""
    with open(home / "daemon.log", "ab") as log:
        daemon = subprocess.Popen(
            [_tool("dagster-daemon"), "run", "-w", str(workspace)],
            env={**os.environ, **env, "DAGSTER_HOME": str(home)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield daemon
    finally:
        _stop(daemon)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def launch(home: Path, env: Mapping[str, str], workspace: Path, request: RunRequestSpec) -> str:
    """Queue one run with `dagster job launch` (as the launchpad does) and return its run id."""
    run_id = str(uuid.uuid4())
    tags = {"dagster/partition": request.partition, **request.tags}
    command = [
        _tool("dagster"), "job", "launch", "-w", str(workspace), "-l", LOCATION, "-j", request.job,
        "--run-id", run_id, "--tags", json.dumps(tags), "--config-json", json.dumps(dict(request.run_config)),
    ]  # fmt: skip
    done = subprocess.run(
        command, env={**os.environ, **env, "DAGSTER_HOME": str(home)}, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"dagster job launch failed for {request.partition}:\n{done.stderr[-3000:]}")
    return run_id


def wait_for_runs(instance: DagsterInstance, run_ids: Sequence[str], timeout_s: float = 900) -> list[DagsterRun]:
    """The runs once all have finished; TimeoutError naming the ones still going."""
    deadline = time.monotonic() + timeout_s
    while True:
        runs = instance.get_runs(RunsFilter(run_ids=list(run_ids)))
        if len(runs) == len(run_ids) and all(run.status in FINISHED for run in runs):
            return sorted(runs, key=lambda run: run_ids.index(run.run_id))
        if time.monotonic() > deadline:
            going = {run.run_id: run.status.value for run in runs if run.status not in FINISHED}
            raise TimeoutError(f"runs still unfinished after {timeout_s:.0f} s: {going}")
        time.sleep(1.0)


def launch_and_wait(home: Path, env: Mapping[str, str], requests: Sequence[RunRequestSpec]) -> list[DagsterRun]:
    """Start a daemon, queue every run, wait for all of them, stop the daemon."""
    workspace = write_workspace(home)
    # The instance first: it creates the SQLite storages, which two processes creating them at
    # once leave with two alembic heads.
    with DagsterInstance.from_config(str(home)) as instance, running_daemon(home, env, workspace):
        run_ids = [launch(home, env, workspace, request) for request in requests]
        return wait_for_runs(instance, run_ids)


def launch_stages(home: Path, env: Mapping[str, str], stages: Sequence[Sequence[RunRequestSpec]]) -> list[DagsterRun]:
    """As `launch_and_wait`, one stage after another under one daemon; stops after a stage with a failed run.

    A stage's runs go together (the run queue limits how many at once); the next stage's runs
    read what the stage before stored (deliverables read the pipeline's days).
    """
    workspace = write_workspace(home)
    finished: list[DagsterRun] = []
    with DagsterInstance.from_config(str(home)) as instance, running_daemon(home, env, workspace):
        for stage in stages:
            run_ids = [launch(home, env, workspace, request) for request in stage]
            finished += wait_for_runs(instance, run_ids)
            if any(run.status != DagsterRunStatus.SUCCESS for run in finished):
                break
    return finished


def failed_checks(instance: DagsterInstance, run_id: str) -> list[FailedCheck]:
    """The asset checks that did not pass in a run (warnings included)."""
    failed = []
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.get_dagster_event().asset_check_evaluation_data
        if not evaluation.passed:
            failed.append(
                FailedCheck(evaluation.check_name, evaluation.severity.value.lower(), evaluation.description or "")
            )
    return failed
