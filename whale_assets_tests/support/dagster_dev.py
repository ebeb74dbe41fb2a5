"""A real `dg dev` (webserver + daemon) on loopback, started as `make dev` starts it, and its GraphQL API.

`make dev` runs `DAGSTER_HOME=<repo> dg dev --use-active-venv` in the repository root; the tests do the same
with a temporary DAGSTER_HOME holding the project's dagster.yaml, an offline world in the WHALE_*
environment, and `-h 127.0.0.1 -p <free port>`. The CLI commands the README gives run the same
way, in the repository root (`cli`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from whale_assets_tests.support.instance import PROJECT_ROOT, project_dagster_home
from whale_assets_tests.support.world import World

BIN = Path(sys.executable).parent
LOCATION = "whale_assets"  # the code location's one name (pyproject.toml, workspace.yaml)
STARTUP_TIMEOUT_S = 180
FINISHED_RUN = {"SUCCESS", "FAILURE", "CANCELED"}

WORKSPACE = """
query {
  workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError {
    __typename
    ... on RepositoryLocation { repositories {
      sensors { name sensorState { status } } schedules { name scheduleState { status } }
    } }
  } } } }
}"""

RUNS = """
query($tags: [ExecutionTag!]) {
  runsOrError(filter: {tags: $tags}) {
    ... on Runs { results { runId status jobName tags { key value }
                            repositoryOrigin { repositoryLocationName } } }
  }
}"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def world_env(world: World, home: Path) -> dict[str, str]:
    """This process's environment with DAGSTER_HOME and the WHALE_* settings of an offline world."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WHALE_", "DAGSTER_"))},
        "DAGSTER_HOME": str(home),
        "WHALE_DATA_DIR": str(world.data_dir),
        "WHALE_ENCOUNTERS": str(world.encounters_dir),
        "WHALE_AUDIO_SOURCE": str(world.archive_dir),
        "WHALE_CLASSIFIER": "energy",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


class DagsterDev:
    def __init__(self, port: int, env: dict[str, str], log: Path, world: World, tool: str = "dg"):
        self.tool = tool  # `dg` (make dev) or `dagster` (the older `dagster dev`): both serve the one location
        self.port = port
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.env = env
        self.log = log
        self.world = world
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """`make dev`'s command (or `dg dev`) in the repository root, on loopback and our port."""
        command = [str(BIN / self.tool), "dev", "-h", "127.0.0.1", "-p", str(self.port)]
        env = self.env
        if self.tool == "dg":
            command.append("--use-active-venv")  # the tests' interpreter, not a project .venv of its own
            env = {**env, "VIRTUAL_ENV": sys.prefix}
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def stop(self) -> None:
        """End the process group: webserver, daemon, code servers and run workers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        try:  # run workers and code servers live in the same group; make sure none is left
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._log_file.close()

    def cli(self, *arguments: str, timeout: float = 180) -> subprocess.CompletedProcess:
        """A `dagster` CLI command as the README gives it: in the repository root, same DAGSTER_HOME."""
        return subprocess.run(
            [str(BIN / "dagster"), *arguments],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=PROJECT_ROOT,
            timeout=timeout,
        )

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer
        return answer["data"]

    def locations(self) -> list[dict]:
        return self.graphql(WORKSPACE)["workspaceOrError"]["locationEntries"]

    def runs(self, tags: dict[str, str] | None = None) -> list[dict]:
        filters = [{"key": key, "value": value} for key, value in (tags or {}).items()]
        return self.graphql(RUNS, {"tags": filters})["runsOrError"]["results"]

    def wait_until_loaded(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dagster dev exited:\n{self.tail()}"
            try:
                entries = self.graphql(
                    "{ workspaceOrError { ... on Workspace { locationEntries { name "
                    "locationOrLoadError { __typename } } } } }",
                    timeout=5,
                )
                entries = entries["workspaceOrError"]["locationEntries"]
                if entries and all(e["locationOrLoadError"]["__typename"] == "RepositoryLocation" for e in entries):
                    return
                if any(e["locationOrLoadError"]["__typename"] == "PythonError" for e in entries):
                    pytest.fail(f"the code location failed to load:\n{self.tail()}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        pytest.fail(f"dagster dev did not serve the code location within {STARTUP_TIMEOUT_S} s:\n{self.tail()}")


@contextmanager
def running_dagster_dev(world: World, tmp_path: Path, tool: str = "dg") -> Iterator[DagsterDev]:
    """`dg dev` (as `make dev`; or `dagster dev`) over `world` with the project's dagster.yaml, stopped (process group) on exit."""
    home = project_dagster_home(tmp_path / "dagster_home")
    server = DagsterDev(free_port(), world_env(world, home), tmp_path / f"{tool}-dev.log", world, tool)
    try:
        server.start()
        server.wait_until_loaded()
        yield server
    finally:
        server.stop()


def partition_of(run: dict) -> str:
    return {t["key"]: t["value"] for t in run["tags"]}.get("dagster/partition", "?")
