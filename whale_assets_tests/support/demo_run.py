"""`whale-assets demo` run once per test session, where a checkout would have it (`<checkout>/demo-data`).

The demo's own test reads what it printed and stored; the tour test (docs/getting-started.md) runs
the tour's commands in `<checkout>`, a folder with the repository's files linked in, after it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DEMO_TIMEOUT_S = 1800


@dataclass(frozen=True)
class DemoRun:
    directory: Path  # <checkout>/demo-data
    stdout: str

    @property
    def checkout(self) -> Path:
        return self.directory.parent

    @property
    def home(self) -> Path:
        return self.directory / "dagster_home"

    def env(self) -> dict[str, str]:
        """DAGSTER_HOME and the WHALE_* settings from the demo's demo.env."""
        pairs = (
            line.removeprefix("export ").split("=", 1)
            for line in (self.directory / "demo.env").read_text().splitlines()
            if line.startswith("export ")
        )
        return {name: value.strip("'") for name, value in pairs}


def run_demo(checkout: Path) -> DemoRun:
    """As a user runs it (`whale-assets demo`), in its own process: Dagster's compute-log capture in a
    run on a real instance must not meet pytest's own capture of this process's streams."""
    directory = checkout / "demo-data"
    demo = subprocess.run(
        [str(Path(sys.executable).with_name("whale-assets")), "demo", "--dir", str(directory)],
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    return DemoRun(directory, demo.stdout)
