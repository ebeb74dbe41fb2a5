"""The tour (docs/getting-started.md) runs as written after `make demo`.

Every ```bash block of the page is run in order in a checkout-like folder (the repository's files
linked in, `demo-data/` the session's fresh demo), in one shell session: the environment a block
leaves (`source .venv/bin/activate`, `source demo-data/demo.env`) is the next block's. A block
after `<!-- tour: background -->` (`make dev-demo`) runs in the background until the end, stopped
by its process group. ```sh blocks (`make demo`, done by the fixture) are shown, not run. The UI's
port is a free one, given as `PORT` in the environment (the Makefile's `PORT ?= 3000` takes it).

Also the one-code-location check: the CLI's backfill and `schedule start` act on the location the
UI (`dg dev`) serves, so the backfill's runs are dequeued there and the schedule shows RUNNING.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
TOUR = REPO / "docs" / "getting-started.md"
BACKGROUND = "<!-- tour: background -->"
_BLOCK = re.compile(r"(<!-- tour: background -->\n)?```bash\n(.*?)\n```", re.DOTALL)
# What the tour's folder needs of the repository (the Makefile, the dg project, the CLI's workspace).
CHECKOUT_FILES = ("Makefile", "pyproject.toml", "setup.py", "workspace.yaml", "dagster.yaml", "whale_assets")
UI_TIMEOUT_S = 240
BLOCK_TIMEOUT_S = 900


@dataclass(frozen=True)
class Block:
    code: str
    background: bool


def tour_blocks(text: str) -> list[Block]:
    return [Block(match.group(2), bool(match.group(1))) for match in _BLOCK.finditer(text)]


def test_the_tour_marks_its_runnable_blocks_and_one_background_block():
    blocks = tour_blocks(TOUR.read_text())
    assert [block.code for block in blocks if block.background] == ["make dev-demo"]
    runnable = "\n".join(block.code for block in blocks)
    for step in (
        "dg launch --job whale_pipeline",
        "dagster job backfill",
        "whale-assets wait-runs",
        "dagster schedule start",
        "whale-assets sql",
        "whale-assets export",
        "dg launch --job deliverables",
    ):
        assert step in runnable
    assert "--select '*'" not in runnable and "duckdb -readonly" not in runnable


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _checkout(folder: Path) -> None:
    for name in CHECKOUT_FILES:
        (folder / name).symlink_to(REPO / name)
    (folder / ".venv").symlink_to(Path(sys.prefix))


class TourShell:
    """Runs blocks one after another with the environment each leaves behind (kept in a state file)."""

    def __init__(self, folder: Path, env: dict[str, str], logs: Path):
        self.folder, self.env, self.logs = folder, env, logs
        self.state = logs / "environment.sh"
        self.state.write_text("")
        self.background: list[subprocess.Popen] = []

    def _script(self, code: str) -> str:
        # Exported variables only, none read-only, none that belong to the shell itself.
        keep = r"export -p | grep -Ev '^declare -[a-zA-Z]*r|^declare -x (PWD|OLDPWD|SHLVL|_)='"
        return f"set -eo pipefail\nsource {self.state}\n{code}\n{keep} > {self.state}.new && mv {self.state}.new {self.state}\n"

    def run(self, code: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", self._script(code)],
            cwd=self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=BLOCK_TIMEOUT_S,
        )

    def start(self, code: str, index: int) -> Path:
        log = self.logs / f"background-{index}.log"
        with log.open("wb") as out:
            self.background.append(
                subprocess.Popen(
                    ["bash", "-c", f"source {self.state}\n{code}"],
                    cwd=self.folder,
                    env=self.env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        return log

    def stop(self) -> None:
        for process in self.background:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    pass
            try:  # dg dev's daemon, code server and run workers share the group
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=30)


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query}).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


def _wait_for_ui(port: int, process: subprocess.Popen, log: Path) -> None:
    from whale_assets_tests.support.dagster_dev import WORKSPACE

    deadline = time.monotonic() + UI_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, f"make dev-demo exited:\n{log.read_text(errors='replace')[-3000:]}"
        try:
            entries = _graphql(port, WORKSPACE)["workspaceOrError"]["locationEntries"]
            if entries and entries[0]["locationOrLoadError"]["__typename"] == "RepositoryLocation":
                return
        except (urllib.error.URLError, ConnectionError, KeyError, TypeError, TimeoutError):
            pass
        time.sleep(2)
    raise AssertionError(f"the UI did not load in {UI_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.mark.slow  # the UI and daemon on the session's demo, two backfilled days, two launched jobs
def test_the_tour_runs_as_written_after_make_demo(session_demo, tmp_path):
    from dagster import DagsterInstance, RunsFilter

    from whale_assets_tests.support.dagster_dev import LOCATION, WORKSPACE

    checkout = session_demo.checkout
    _checkout(checkout)
    port = _free_port()
    env = {
        name: value for name, value in os.environ.items() if not name.startswith(("WHALE_", "DAGSTER_", "VIRTUAL_ENV"))
    }
    shell = TourShell(checkout, {**env, "PORT": str(port)}, tmp_path)
    outputs = []
    started = time.monotonic()
    try:
        for index, block in enumerate(tour_blocks(TOUR.read_text())):
            if block.background:
                ui_log = shell.start(block.code, index)
                _wait_for_ui(port, shell.background[-1], ui_log)
                continue
            done = shell.run(block.code)
            assert done.returncode == 0, (
                f"tour block failed:\n{block.code}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
            outputs.append((block.code, done.stdout))

        [entry] = _graphql(port, WORKSPACE)["workspaceOrError"]["locationEntries"]
        assert entry["name"] == LOCATION
        [repository] = entry["locationOrLoadError"]["repositories"]
        schedules = {s["name"]: s["scheduleState"]["status"] for s in repository["schedules"]}
        assert schedules == {"whale_pipeline_schedule": "RUNNING"}
    finally:
        shell.stop()
    print(f"tour: {time.monotonic() - started:.0f} s")  # its wall time, shown with -s / in the report

    assert "does not exist in workspace" not in ui_log.read_text(errors="replace")
    [waited] = [out for code, out in outputs if "whale-assets wait-runs" in code]
    assert "whale_pipeline 2023-09-12 SUCCESS" in waited and "whale_pipeline 2023-09-13 SUCCESS" in waited, waited

    with DagsterInstance.from_config(str(session_demo.home)) as instance:
        # The tour's job backfill; the automation sensor may have requested asset backfills of its own.
        [backfill] = [b for b in instance.get_backfills() if not b.is_asset_backfill]
        runs = instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill.backfill_id}))
    assert backfill.status.value in {"COMPLETED", "COMPLETED_SUCCESS"}
    assert sorted(run.tags["dagster/partition"] for run in runs) == ["2023-09-12", "2023-09-13"]
    assert all(run.status.value == "SUCCESS" for run in runs)
    assert {run.remote_job_origin.location_name for run in runs} == {LOCATION}  # dequeued where the UI serves

    [sql] = [out for code, out in outputs if "whale-assets sql" in code]
    assert "2023-09-14" in sql and "2023-09-15" in sql and "with_song" in sql
    assert re.search(r"hw-1001 .* 0\.7\b", sql), sql  # step 3's threshold on 2023-09-14's rows
    exported = pd.read_csv(checkout / "demo-data" / "whale_results.csv")
    assert len(exported) > 0 and {"encounter_id", "status", "detected"} <= set(exported.columns)
    [listing] = [out for code, out in outputs if code.startswith("dg launch --job deliverables")]
    assert ".selections.txt" in listing and ".listen.flac" in listing
