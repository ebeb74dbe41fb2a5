"""One forced run of the daily pipeline for one day on a Dagster instance of its own, as a process.

`python -m whale_assets_tests.support.same_day_run WORLD_ROOT DAGSTER_HOME DAY` materializes the
five pipeline assets with `force: true` on each (every array and table is rewritten) against the
world's data dir, and prints the run's status; exit code 0 only on SUCCESS. Two of these at once,
on one data dir and two instances, are two runs of one day that no run queue serialises.
"""

from __future__ import annotations

import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from dagster import instance_for_test

from whale_assets_tests.support.pipeline import run_day_result
from whale_assets_tests.support.world import World

FORCED = ("encounters", "raw_audio", "sifted_audio", "classifications", "whale_results")
RUN_TIMEOUT_S = 600


@dataclass(frozen=True)
class Round:
    statuses: tuple[str, str]
    errors: tuple[str, str]

    @property
    def both_succeeded(self) -> bool:
        return self.statuses == ("SUCCESS", "SUCCESS")


def two_runs_at_once(world_root: Path, homes: tuple[Path, Path], day: str) -> Round:
    """Start two forced runs of `day` as two processes with two instances, and wait for both."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", __name__, str(world_root), str(home), day],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for home in homes
    ]
    outputs = [process.communicate(timeout=RUN_TIMEOUT_S) for process in processes]
    statuses = tuple((out.strip().splitlines() or ["no status"])[-1] for out, _ in outputs)
    return Round(statuses, tuple(err[-4000:] for _, err in outputs))


def main(world_root: str, home: str, day: str) -> int:
    settings = World(Path(world_root)).settings()
    Path(home).mkdir(parents=True, exist_ok=True)
    with instance_for_test(temp_dir=home) as instance:
        result = run_day_result(settings, instance, day, **{name: {"force": True} for name in FORCED})
        if not result.success:
            for event in result.all_events:
                if event.is_step_failure:
                    error = event.step_failure_data.error
                    print(f"{error.to_string()}\n{event.step_key}: {error.message.strip()}", file=sys.stderr)
                elif event.is_failure:
                    print(f"run: {event.message}", file=sys.stderr)
        print(result.dagster_run.status.value)
        return 0 if result.success else 1


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:4]))
    except Exception:
        traceback.print_exc()
        sys.exit(2)
