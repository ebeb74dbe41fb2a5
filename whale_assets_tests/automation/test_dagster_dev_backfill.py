"""A real `dagster dev` (webserver + daemon) on loopback: backfills from GraphQL and the CLI, readers alongside.

The test starts `dagster dev` on a free port with a temporary DAGSTER_HOME holding the project's
dagster.yaml and an offline world (CSV exports, sparse local archive, energy classifier). It
launches a three-day asset backfill through the GraphQL API the UI uses and a job backfill
with `dagster job backfill --from ... --to ...`, while two readers query the results over and over
(`run_query` in a thread, `whale-assets sql` as a process). Every run must succeed, every day must
have its rows, and every read must answer or say clearly to retry. Every wait is bounded and the
process group is killed at the end, pass or fail.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import duckdb
import pytest

from whale_assets.results_sql import ResultsUnavailable, run_query
from whale_assets_tests.support.instance import project_dagster_home
from whale_assets_tests.support.world import World, export_row

pytestmark = pytest.mark.slow  # several minutes: a real dagster dev with three backfilled days

GRAPHQL_DAYS = ["2023-09-13", "2023-09-14", "2023-09-15"]
CLI_DAYS = ["2023-09-16"]  # one day keeps the test short; the range syntax is the same
PIPELINE = ["encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"]
STARTUP_TIMEOUT_S = 180
BACKFILL_TIMEOUT_S = 420
BIN = Path(sys.executable).parent
# What a reader may be told instead of an answer: all say what is going on and what to do.
CLEAR_MESSAGES = (
    "is being written by a running materialization",  # a writer holds the DuckDB lock: retry
    "no results database",  # before the first write
    "does not exist",  # before the first whale_results partition creates its table
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DagsterDev:
    def __init__(self, port: int, env: dict[str, str], log: Path):
        self.url = f"http://127.0.0.1:{port}/graphql"
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, cwd: Path) -> None:
        command = [str(BIN / "dagster"), "dev", "-m", "whale_assets.definitions", "-h", "127.0.0.1", "-p", self.url.split(":")[2].split("/")[0]]
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=cwd, env=self.env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self) -> None:
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

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def graphql(self, query: str, variables: dict | None = None, timeout: float = 30) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.load(response)
        assert "errors" not in answer, answer
        return answer["data"]

    def wait_until_loaded(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dagster dev exited:\n{self.tail()}"
            try:
                nodes = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { name "
                                     "locationOrLoadError { __typename } } } } }", timeout=5)
                entries = nodes["workspaceOrError"]["locationEntries"]
                if entries and all(e["locationOrLoadError"]["__typename"] == "RepositoryLocation" for e in entries):
                    return
                if any(e["locationOrLoadError"]["__typename"] == "PythonError" for e in entries):
                    pytest.fail(f"the code location failed to load:\n{self.tail()}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(1)
        pytest.fail(f"dagster dev did not serve the code location within {STARTUP_TIMEOUT_S} s:\n{self.tail()}")


class Readers:
    """Query the results again and again, in process and through the CLI, recording each outcome."""

    def __init__(self, database: Path, env: dict[str, str]):
        self.database, self.env = database, env
        self.answers = 0
        self.retry_messages: list[str] = []
        self.problems: list[str] = []
        self.cli_runs = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._in_process, daemon=True),
                         threading.Thread(target=self._cli, daemon=True)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def _in_process(self) -> None:
        while not self._stop.is_set():
            try:
                run_query("select date, count(*) from whale_results group by date", database=self.database)
                self.answers += 1
            except ResultsUnavailable as unavailable:
                self._judge(str(unavailable))
            except Exception as error:  # anything else is a crash a user would see
                self.problems.append(f"run_query raised {type(error).__name__}: {error}")
            self._stop.wait(0.2)

    def _cli(self) -> None:
        command = [sys.executable, "-m", "whale_assets.cli", "sql", "select count(*) as n from whale_results",
                   "--database", str(self.database)]
        while not self._stop.is_set():
            done = subprocess.run(command, capture_output=True, text=True, env=self.env, timeout=120)
            self.cli_runs += 1
            if done.returncode == 0:
                self.answers += 1
            elif done.returncode == 2 and "Traceback" not in done.stderr:
                self._judge(done.stderr)
            else:
                self.problems.append(f"whale-assets sql exited {done.returncode}: {done.stderr[-2000:]}")
            self._stop.wait(1.0)

    def _judge(self, message: str) -> None:
        if any(clear in message for clear in CLEAR_MESSAGES):
            self.retry_messages.append(message)
        else:
            self.problems.append(f"unclear message: {message}")


def make_world(root: Path) -> World:
    world = World(root)
    rows = []
    for n, day in enumerate(GRAPHQL_DAYS):
        rows.append(export_row(f"gq{n}", f"{day} 10:00:00"))
        world.audio(f"{day} 09:58:00", 240.0, song_at_s=(90.0, 150.0) if n == 1 else None, seed=n)
    rows.append(export_row("gq-late", f"{GRAPHQL_DAYS[2]} 20:00:00"))  # the day file is silent there
    for n, day in enumerate(CLI_DAYS):
        rows.append(export_row(f"cli{n}", f"{day} 12:00:00"))  # no day files: cheap no_audio rows
    world.encounters(*rows)
    world.write_archive()
    return world


@pytest.fixture
def dagster_dev(tmp_path):
    world = make_world(tmp_path / "world")
    home = project_dagster_home(tmp_path / "dagster_home")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WHALE_", "DAGSTER_"))},
        "DAGSTER_HOME": str(home),
        "WHALE_DATA_DIR": str(world.data_dir),
        "WHALE_ENCOUNTERS": str(world.encounters_dir),
        "WHALE_AUDIO_SOURCE": str(world.archive_dir),
        "WHALE_CLASSIFIER": "energy",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    server = DagsterDev(free_port(), env, tmp_path / "dagster-dev.log")
    server.world = world
    try:
        server.start(cwd=tmp_path)
        server.wait_until_loaded()
        yield server
    finally:
        server.stop()


LAUNCH = """
mutation($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on InvalidSubsetError { message }
    ... on UnauthorizedError { message }
  }
}"""

BACKFILL_STATUS = """
query($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
    ... on PythonError { message }
  }
}"""

RUNS = """
query($tags: [ExecutionTag!]) {
  runsOrError(filter: {tags: $tags}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}"""

SENSOR = """
query {
  workspaceOrError { ... on Workspace { locationEntries { locationOrLoadError { ... on RepositoryLocation {
    repositories { sensors { name sensorState { status } } schedules { name scheduleState { status } } }
  } } } } }
}"""

FINISHED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "FAILING"}
FINISHED_RUN = {"SUCCESS", "FAILURE", "CANCELED"}


def backfill_runs(server: DagsterDev, key: str, value: str) -> list[dict]:
    data = server.graphql(RUNS, {"tags": [{"key": key, "value": value}]})
    return data["runsOrError"]["results"]


def partition_of(run: dict) -> str:
    return {t["key"]: t["value"] for t in run["tags"]}.get("dagster/partition", "?")


def test_backfills_from_graphql_and_the_cli_run_concurrently_with_readers(dagster_dev):
    server = dagster_dev
    database = server.world.data_dir / "whale.duckdb"

    [repository] = server.graphql(SENSOR)["workspaceOrError"]["locationEntries"][0]["locationOrLoadError"]["repositories"]
    assert {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]} == {"daily_audio_sensor": "RUNNING"}
    assert {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]} == {"whale_pipeline_schedule": "STOPPED"}

    with Readers(database, server.env) as readers:
        # What the UI does from the asset graph: Materialize -> partition range.
        params = {
            "partitionNames": GRAPHQL_DAYS,
            "assetSelection": [{"path": [name]} for name in PIPELINE],
            "runConfigData": {"ops": {"raw_audio": {"config": {"margin_s": 60.0}}}},
            "title": "three days from the test",
        }
        launched = server.graphql(LAUNCH, {"params": params})["launchPartitionBackfill"]
        assert launched["__typename"] == "LaunchBackfillSuccess", launched
        backfill_id = launched["backfillId"]

        # The README's CLI command, for a shorter range, against the same instance.
        cli = subprocess.run(
            [str(BIN / "dagster"), "job", "backfill", "-m", "whale_assets.definitions", "-j", "whale_pipeline",
             "--from", CLI_DAYS[0], "--to", CLI_DAYS[-1], "--noprompt"],
            capture_output=True, text=True, env=server.env, cwd=server.log.parent, timeout=180,
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr

        deadline = time.monotonic() + BACKFILL_TIMEOUT_S
        while True:
            status = server.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
            runs = backfill_runs(server, "dagster/backfill", backfill_id)
            job_runs = [r for r in server.graphql(RUNS, {"tags": []})["runsOrError"]["results"]
                        if partition_of(r) in CLI_DAYS]
            done_graphql = status.get("status") in FINISHED_BACKFILL and all(r["status"] in FINISHED_RUN for r in runs)
            done_cli = len(job_runs) >= len(CLI_DAYS) and all(r["status"] in FINISHED_RUN for r in job_runs)
            if done_graphql and done_cli:
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"backfills not done within {BACKFILL_TIMEOUT_S} s: {status}, "
                    f"runs {[(partition_of(r), r['status']) for r in runs + job_runs]}\n{server.tail()}"
                )
            time.sleep(3)
        time.sleep(1)  # let the readers see the finished database too

    assert status["status"] in {"COMPLETED", "COMPLETED_SUCCESS"}, status
    outcomes = sorted((partition_of(r), r["status"]) for r in runs + job_runs)
    assert {day for day, _ in outcomes} == set(GRAPHQL_DAYS + CLI_DAYS)
    assert all(state == "SUCCESS" for _, state in outcomes), f"{outcomes}\n{server.tail()}"

    with duckdb.connect(str(database), read_only=True) as connection:
        counts = dict(connection.sql(
            "select strftime(date, '%Y-%m-%d'), count(*) from whale_results group by 1"
        ).fetchall())
        statuses = dict(connection.sql("select encounter_id, status from whale_results").fetchall())
    assert counts == {GRAPHQL_DAYS[0]: 1, GRAPHQL_DAYS[1]: 1, GRAPHQL_DAYS[2]: 2, CLI_DAYS[0]: 1}
    # Song where it was put; silence (zeros) elsewhere in a day file; no file at all on the CLI day.
    assert statuses["gq1"] == "ok" and statuses["gq-late"] == "no_signal" and statuses["cli0"] == "no_audio"

    assert not readers.problems, readers.problems[:5]
    assert readers.answers > 0 and readers.cli_runs > 0
    print(f"readers: {readers.answers} answers, {len(readers.retry_messages)} clear retry messages, {readers.cli_runs} CLI runs")
