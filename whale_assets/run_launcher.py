"""The local run launcher: Dagster's `DefaultRunLauncher` plus health checks of its run workers.

`DefaultRunLauncher` starts each run as a process of the code server but cannot tell whether that
process still lives, so run monitoring could end a SIGKILLed run only after `max_runtime_seconds`.
Here the worker's process id (which the worker logs as it starts) is checked on each monitoring
poll: a worker that is gone, a zombie or another process under a reused id is reported FAILED,
so the daemon marks the run failed within one poll interval.

A pid means something only on the host that started the worker, so a run is checked only when
its code server listens on loopback (or a socket) and the checking daemon runs on the same host
as the launcher did; otherwise the result is RUNNING and `max_runtime_seconds` still applies.

`CheckRunHealthResult` and `WorkerStatus`, the types a health check must return, and the tag under
which `DefaultRunLauncher` records its code server are not exported by `dagster` (1.13); this
module is the one place that imports them from `dagster._core`.
"""

from __future__ import annotations

import ipaddress
import json
import socket
from dataclasses import dataclass

import psutil
from dagster import DagsterEventType, DagsterRun, DefaultRunLauncher
from dagster._core.launcher import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.tags import GRPC_INFO_TAG  # where DefaultRunLauncher records the code server

LAUNCH_HOST_TAG = "whale_assets/launch_host"  # the host whose code server runs the worker
WORKER_TAG = "whale_assets/run_worker"  # "<pid>:<process start time>", recorded at the first check
# A process started this long after the worker logged its pid cannot be that worker (pid reused).
START_TIME_SLACK_S = 5.0


@dataclass(frozen=True)
class RunWorker:
    pid: int
    started_at: float  # the process's start time as psutil reports it (seconds since the epoch)

    def tag(self) -> str:
        return f"{self.pid}:{self.started_at!r}"

    @staticmethod
    def from_tag(value: str) -> RunWorker:
        pid, started_at = value.split(":", 1)
        return RunWorker(int(pid), float(started_at))


class SameHostRunLauncher(DefaultRunLauncher):
    """`DefaultRunLauncher` whose workers, on this host, are health-checked by run monitoring."""

    def launch_run(self, context) -> None:
        super().launch_run(context)
        run = self._instance.get_run_by_id(context.dagster_run.run_id)
        if run is not None and _is_local_code_server(run.tags.get(GRPC_INFO_TAG)):
            self._instance.add_run_tags(run.run_id, {LAUNCH_HOST_TAG: socket.gethostname()})

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        if run.tags.get(LAUNCH_HOST_TAG) != socket.gethostname():
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker not on this host: not checked here")
        worker = self._worker(run)
        if worker is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "the worker has not logged its process id yet")
        problem = worker_problem(worker)
        if problem is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {worker.pid} is alive")
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {worker.pid} {problem}")

    def _worker(self, run: DagsterRun) -> RunWorker | None:
        recorded = run.tags.get(WORKER_TAG)
        if recorded:
            return RunWorker.from_tag(recorded)
        found = logged_worker(self._instance, run.run_id)
        if found is not None:
            self._instance.add_run_tags(run.run_id, {WORKER_TAG: found.tag()})
        return found


def logged_worker(instance, run_id: str) -> RunWorker | None:
    """The worker process from the run's last "Started process for run (pid: N)" event, if still there.

    The event's time pins the process: one with that pid started later is another process.
    """
    started: tuple[int, float] | None = None
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        value = data.metadata.get("pid") if data is not None and data.metadata else None
        if value is not None:
            started = int(value.value), entry.timestamp
    if started is None:
        return None
    pid, logged_at = started
    try:
        started_at = psutil.Process(pid).create_time()
    except psutil.NoSuchProcess:
        return RunWorker(pid, float("inf"))  # gone already: no process can match
    if started_at > logged_at + START_TIME_SLACK_S:
        return RunWorker(pid, float("inf"))
    return RunWorker(pid, started_at)


def worker_problem(worker: RunWorker) -> str | None:
    """Why `worker` no longer runs its run (None while it does)."""
    try:
        process = psutil.Process(worker.pid)
        if abs(process.create_time() - worker.started_at) > 1.0:
            return "is gone (its id now belongs to another process)"
        if process.status() == psutil.STATUS_ZOMBIE:
            return "has exited without reporting the run's end (killed?)"
    except psutil.NoSuchProcess:
        return "is gone without reporting the run's end (killed, out of memory, reboot?)"
    return None


def _is_local_code_server(grpc_info: str | None) -> bool:
    if not grpc_info:
        return False
    info = json.loads(grpc_info)
    if info.get("socket"):
        return True
    host = str(info.get("host") or "")
    if host in ("localhost", socket.gethostname()):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
