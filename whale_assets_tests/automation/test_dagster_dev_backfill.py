"""A real `dagster dev` (webserver + daemon) on loopback: backfills from GraphQL and the CLI, readers alongside.

The test starts `dagster dev` as `make dev` does (support/dagster_dev.py) on a free port with a
temporary DAGSTER_HOME holding the project's dagster.yaml and an offline world (CSV exports, sparse local archive, energy classifier). It
launches a three-day asset backfill through the GraphQL API the UI uses and a job backfill
with the README's `dagster job backfill -w workspace.yaml ... --from ... --to ...`, while two readers query the results over and over
(`run_query` in a thread, `whale-assets sql` as a process). Every run must succeed, every day must
have its rows, and every read must answer or say clearly to retry. Every wait is bounded and the
process group is killed at the end, pass or fail.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from whale_assets.results_sql import ResultsUnavailable, run_query
from whale_assets_tests.support.dagster_dev import (
    FINISHED_RUN,
    LOCATION,
    partition_of,
    running_dagster_dev,
)
from whale_assets_tests.support.world import World, export_row

pytestmark = pytest.mark.slow  # several minutes: a real dagster dev with three backfilled days

GRAPHQL_DAYS = ["2023-09-13", "2023-09-14", "2023-09-15"]
CLI_DAYS = ["2023-09-16"]  # one day keeps the test short; the range syntax is the same
PIPELINE = ["encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"]
BACKFILL_TIMEOUT_S = 420
# What a reader may be told instead of an answer: all say what is going on and what to do.
CLEAR_MESSAGES = (
    "is being written by a running materialization",  # a writer holds the DuckDB lock: retry
    "no results database",  # before the first write
    "does not exist",  # before the first whale_results partition creates its table
)


class Readers:
    """Query the results again and again, in process and through the CLI, recording each outcome."""

    def __init__(self, database: Path, env: dict[str, str]):
        self.database, self.env = database, env
        self.answers = 0
        self.retry_messages: list[str] = []
        self.problems: list[str] = []
        self.cli_runs = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._in_process, daemon=True),
            threading.Thread(target=self._cli, daemon=True),
        ]

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
        command = [
            sys.executable,
            "-m",
            "whale_assets.cli",
            "sql",
            "select count(*) as n from whale_results",
            "--database",
            str(self.database),
        ]
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
    with running_dagster_dev(make_world(tmp_path / "world"), tmp_path) as server:
        yield server


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

FINISHED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED", "FAILING"}


def test_backfills_from_graphql_and_the_cli_run_concurrently_with_readers(dagster_dev):
    server = dagster_dev
    database = server.world.data_dir / "whale.duckdb"

    [location] = server.locations()
    [repository] = location["locationOrLoadError"]["repositories"]
    assert {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]} == {
        "daily_audio_sensor": "RUNNING",
        "automation_condition_sensor": "RUNNING",
        "freshness_checks_sensor": "RUNNING",
        "review_files_sensor": "RUNNING",
    }
    assert {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]} == {
        "whale_pipeline_schedule": "STOPPED"
    }

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
        cli = server.cli(
            "job",
            "backfill",
            "-w",
            "workspace.yaml",
            "-l",
            LOCATION,
            "-j",
            "whale_pipeline",
            "--from",
            CLI_DAYS[0],
            "--to",
            CLI_DAYS[-1],
            "--noprompt",
        )
        assert cli.returncode == 0, cli.stdout + cli.stderr

        deadline = time.monotonic() + BACKFILL_TIMEOUT_S
        while True:
            status = server.graphql(BACKFILL_STATUS, {"id": backfill_id})["partitionBackfillOrError"]
            runs = server.runs({"dagster/backfill": backfill_id})
            # The CLI backfill's runs; automation's deliverable runs for those days are not counted.
            job_runs = [r for r in server.runs() if partition_of(r) in CLI_DAYS and r["jobName"] == "whale_pipeline"]
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
        counts = dict(
            connection.sql("select strftime(date, '%Y-%m-%d'), count(*) from whale_results group by 1").fetchall()
        )
        statuses = dict(connection.sql("select encounter_id, status from whale_results").fetchall())
    assert counts == {GRAPHQL_DAYS[0]: 1, GRAPHQL_DAYS[1]: 1, GRAPHQL_DAYS[2]: 2, CLI_DAYS[0]: 1}
    # Song where it was put; a window of digital silence (zeros: the recorder wrote nothing) and a
    # day without a file are both windows without audio.
    assert statuses["gq1"] == "ok" and statuses["gq-late"] == "no_audio" and statuses["cli0"] == "no_audio"

    assert not readers.problems, readers.problems[:5]
    assert readers.answers > 0 and readers.cli_runs > 0
    print(
        f"readers: {readers.answers} answers, {len(readers.retry_messages)} clear retry messages, {readers.cli_runs} CLI runs"
    )
