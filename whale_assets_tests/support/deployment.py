"""A multi-process Dagster deployment on loopback: the instance on Postgres, a code server, the daemon.

What a production deployment runs, each as its own process started here and killed by its
process group at the end: `dagster code-server start -m whale_assets.definitions` serving the
code location over gRPC, a workspace.yaml pointing at it (`grpc_server`), `whale-assets
deploy-init` once, then `dagster-daemon run`, whose QueuedRunCoordinator launches each run
through the DefaultRunLauncher as its own process (spawned by the code server). Backfills are
launched through the GraphQL API the UI uses, executed against that workspace and instance
(`support/launch_backfill.py`, in its own process).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus, RunsFilter
from dagster._core.instance.ref import InstanceRef

from whale_assets_tests.support.dagster_dev import BIN, LOCATION, free_port
from whale_assets_tests.support.instance import PROJECT_ROOT
from whale_assets_tests.support.postgres import instance_env, postgres_dagster_home
from whale_assets_tests.support.s3_server import CLEARED, FAKE_CREDENTIALS

STARTUP_TIMEOUT_S = 180
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
WORKSPACE_YAML = """load_from:
  - grpc_server:
      host: 127.0.0.1
      port: {port}
      location_name: {location}
"""


def deployment_env(postgres_url: str, home: Path, whale: Mapping[str, str], s3_endpoint: str | None) -> dict[str, str]:
    """This process's environment without WHALE_/DAGSTER_/AWS settings, plus the deployment's own."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("WHALE_", "DAGSTER_", "AWS_"))}
    env = {
        **kept,
        **instance_env(postgres_url),
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": str(PROJECT_ROOT),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        **whale,
    }
    if s3_endpoint:
        env.update(FAKE_CREDENTIALS, AWS_ENDPOINT_URL_S3=s3_endpoint)
    for name in CLEARED:
        env.pop(name, None)
    return env


@dataclass
class StepSpan:
    run_id: str
    step_key: str
    start: float
    end: float


@dataclass
class Deployment:
    root: Path
    env: dict[str, str]
    home: Path
    workspace: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = self.root / f"{name}.log"
        with log.open("wb") as log_file:  # the child keeps its own descriptor
            process = subprocess.Popen(
                command, cwd=self.root, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes[name], self.logs[name] = process, log
        return process

    def stop(self) -> None:
        """SIGTERM each process group (daemon first), then SIGKILL whatever is left, by PID."""
        for name in reversed(list(self.processes)):
            _signal_group(self.processes[name], signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
            _signal_group(process, signal.SIGKILL)  # run workers live in the code server's group
            process.wait(timeout=20)

    def tail(self, name: str, lines: int = 40) -> str:
        text = self.logs[name].read_text(errors="replace") if name in self.logs else ""
        return f"--- {name} ---\n" + "\n".join(text.splitlines()[-lines:])

    def tails(self) -> str:
        return "\n".join(self.tail(name) for name in self.logs)

    def run(self, *command: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return subprocess.run(
            list(command), cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )

    def launch_backfill(self, job: str, partitions: list[str], run_config: Mapping) -> str:
        """A job backfill through the GraphQL API the UI uses; returns its id."""
        done = self.run(
            sys.executable,
            "-m",
            "whale_assets_tests.support.launch_backfill",
            "--workspace",
            str(self.workspace),
            "--job",
            job,
            "--partitions",
            ",".join(partitions),
            "--run-config",
            json.dumps(run_config),
        )
        if done.returncode:
            raise RuntimeError(f"backfill launch failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done.stdout.strip().splitlines()[-1]

    @contextmanager
    def instance(self) -> Iterator[DagsterInstance]:
        """The deployment's instance, opened in this process (its config reads DAGSTER_PG_* from the env)."""
        saved = {name: os.environ.get(name) for name in instance_env("postgresql://x@h:1/d")}
        os.environ.update({name: self.env[name] for name in saved})
        try:
            with DagsterInstance.from_ref(InstanceRef.from_dir(str(self.home))) as instance:
                yield instance
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def wait_for_backfill(self, backfill_id: str, runs: int, timeout_s: float) -> list:
        """The backfill's run records once `runs` of them have finished (or fail with the logs)."""
        deadline = time.monotonic() + timeout_s
        with self.instance() as instance:
            while True:
                records = instance.get_run_records(RunsFilter(tags={"dagster/backfill": backfill_id}))
                if len(records) >= runs and all(r.dagster_run.status in FINISHED for r in records):
                    return records
                for name, process in self.processes.items():
                    if process.poll() is not None:
                        raise RuntimeError(f"{name} exited with {process.returncode}\n{self.tails()}")
                if time.monotonic() > deadline:
                    states = sorted(
                        (r.dagster_run.tags.get("dagster/partition"), r.dagster_run.status.value) for r in records
                    )
                    raise TimeoutError(f"backfill not done within {timeout_s} s: {states}\n{self.tails()}")
                time.sleep(2)


def step_spans(instance: DagsterInstance, run_ids: list[str]) -> list[StepSpan]:
    """When each step of the runs held its slot: from its STEP_START to its STEP_SUCCESS/FAILURE event."""
    spans = []
    for run_id in run_ids:
        starts: dict[str, float] = {}
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                starts[event.step_key] = entry.timestamp
            elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                spans.append(StepSpan(run_id, event.step_key, starts[event.step_key], entry.timestamp))
    return spans


def pool_waits(instance: DagsterInstance, run_ids: list[str]) -> list[tuple[str, str]]:
    """(step key, message) of each time a step waited for a pool slot another run held."""
    return [
        (entry.dagster_event.step_key, entry.dagster_event.message)
        for run_id in run_ids
        for entry in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT)
        if entry.dagster_event.message and entry.dagster_event.message.startswith("Step blocked by limit for pool")
    ]


@contextmanager
def running_model_server(model_dir: Path, log: Path) -> Iterator[str]:
    """The TF Serving stand-in (`support/model_server.py`) as its own process, like a model server
    container; yields its gRPC URL, grpc://127.0.0.1:PORT. Killed by its process group on exit."""
    with log.open("wb") as errors:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "whale_assets_tests.support.model_server",
                "--model",
                str(model_dir),
                "--grpc-port",
                "0",
                "--rest-port",
                "0",
            ],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            start_new_session=True,
        )
    try:
        line = process.stdout.readline()  # "grpc://127.0.0.1:P http://127.0.0.1:Q" once serving
        if not line.startswith("grpc://"):
            raise RuntimeError(f"the model server did not start: {line!r}\n{log.read_text(errors='replace')[-2000:]}")
        yield line.split()[0]
    finally:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait(timeout=20)


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_for_code_server(deployment: Deployment, port: int) -> None:
    from dagster._grpc.client import DagsterGrpcClient

    client = DagsterGrpcClient(port=port, host="127.0.0.1")
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if deployment.processes["code-server"].poll() is not None:
            raise RuntimeError(f"the code server exited\n{deployment.tail('code-server')}")
        try:
            if "ListRepositoriesResponse" in client.list_repositories():
                return
        except Exception:  # not listening yet, or still loading the definitions
            pass
        time.sleep(1)
    raise TimeoutError(f"the code server did not serve within {STARTUP_TIMEOUT_S} s\n{deployment.tail('code-server')}")


@contextmanager
def running_deployment(
    root: Path,
    postgres_url: str,
    whale: Mapping[str, str],
    s3_endpoint: str | None = None,
    max_concurrent_runs: int = 2,
    pods: int = 1,
) -> Iterator[Deployment]:
    """Code server + deploy-init + daemon over the Postgres instance at `postgres_url`; all stopped on exit."""
    root.mkdir(parents=True, exist_ok=True)
    home = postgres_dagster_home(root / "dagster_home", max_concurrent_runs=max_concurrent_runs)
    port = free_port()
    workspace = root / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML.format(port=port, location=LOCATION))
    deployment = Deployment(root, deployment_env(postgres_url, home, whale, s3_endpoint), home, workspace)
    try:
        initialised = deployment.run(sys.executable, "-m", "whale_assets.cli", "deploy-init", "--pods", str(pods))
        if initialised.returncode:
            raise RuntimeError(f"deploy-init failed: {initialised.stderr[-3000:]}")
        deployment.start(
            "code-server",
            [
                str(BIN / "dagster"),
                "code-server",
                "start",
                "-m",
                "whale_assets.definitions",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "--location-name",
                LOCATION,
            ],
        )
        _wait_for_code_server(deployment, port)
        deployment.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)])
        yield deployment
    finally:
        deployment.stop()
