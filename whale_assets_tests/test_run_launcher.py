"""SameHostRunLauncher tells a live run worker from a killed one, by its real process (issue 23, finding 1).

The daemon-level proof (a SIGKILLed worker under `dagster dev`) is
`automation/test_killed_run_worker.py`; these check the health check itself on real processes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest
from dagster import instance_for_test
from dagster._core.events import EngineEventData
from dagster._core.launcher import WorkerStatus
from dagster._core.test_utils import create_run_for_test

from whale_assets.run_launcher import (
    LAUNCH_HOST_TAG,
    WORKER_TAG,
    RunWorker,
    _is_local_code_server,
    worker_problem,
)

pytestmark = pytest.mark.faults

LAUNCHER = {"run_launcher": {"module": "whale_assets.run_launcher", "class": "SameHostRunLauncher"}}


@pytest.fixture
def sleeper():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def worker_of(process: subprocess.Popen) -> RunWorker:
    return RunWorker(process.pid, psutil.Process(process.pid).create_time())


def test_a_live_worker_has_no_problem(sleeper):
    assert worker_problem(worker_of(sleeper)) is None


def test_a_killed_and_reaped_worker_is_gone(sleeper):
    worker = worker_of(sleeper)
    sleeper.kill()
    sleeper.wait(timeout=10)
    assert "is gone" in worker_problem(worker)


def test_a_killed_worker_its_parent_has_not_reaped_yet_is_not_taken_for_alive(sleeper):
    worker = worker_of(sleeper)
    os.kill(sleeper.pid, signal.SIGKILL)  # not waited for: a zombie, which still has its pid
    deadline = time.monotonic() + 10
    while psutil.Process(sleeper.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
        time.sleep(0.05)
    assert psutil.pid_exists(sleeper.pid)
    assert "exited without reporting" in worker_problem(worker)


def test_another_process_under_the_workers_old_pid_is_not_the_worker(sleeper):
    worker = worker_of(sleeper)
    assert "another process" in worker_problem(RunWorker(worker.pid, worker.started_at - 3600))


@pytest.mark.parametrize(
    "info, local",
    [
        ({"host": "localhost", "socket": "/tmp/x"}, True),
        ({"host": "127.0.0.1", "port": 4000}, True),
        ({"host": "::1", "port": 4000}, True),
        ({"host": socket.gethostname(), "port": 4000}, True),
        ({"host": "code-server", "port": 4000}, False),
        ({"host": "10.0.0.7", "port": 4000}, False),
    ],
)
def test_only_workers_of_a_code_server_on_this_host_are_checked(info, local):
    assert _is_local_code_server(json.dumps(info)) is local


def _started_run(instance, pid: int, host: str):
    run = create_run_for_test(instance, job_name="whale_pipeline", tags={LAUNCH_HOST_TAG: host})
    instance.report_engine_event(f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid))
    return instance.get_run_by_id(run.run_id)


def test_the_health_check_reads_the_logged_pid_records_it_and_reports_a_killed_worker_failed(sleeper):
    with instance_for_test(overrides=LAUNCHER) as instance:
        launcher = instance.run_launcher
        assert launcher.supports_check_run_worker_health
        run = _started_run(instance, sleeper.pid, socket.gethostname())
        assert launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
        run = instance.get_run_by_id(run.run_id)
        assert RunWorker.from_tag(run.tags[WORKER_TAG]).pid == sleeper.pid
        sleeper.kill()
        sleeper.wait(timeout=10)
        result = launcher.check_run_worker_health(run)
        assert result.status == WorkerStatus.FAILED
        assert f"run worker process {sleeper.pid} is gone" in result.msg


def test_a_run_launched_on_another_host_is_left_to_max_runtime(sleeper):
    with instance_for_test(overrides=LAUNCHER) as instance:
        run = _started_run(instance, sleeper.pid, "another-host")
        sleeper.kill()
        sleeper.wait(timeout=10)
        assert instance.run_launcher.check_run_worker_health(run).status == WorkerStatus.RUNNING
