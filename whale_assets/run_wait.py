"""`whale-assets wait-runs`: wait until the instance ($DAGSTER_HOME) is idle, then list its backfills.

`dagster job backfill` and `dagster job launch` only record a backfill or queue a run; the daemon
starts the runs later. This waits until every backfill has finished and no run is queued or in
progress, so a shell session (or a script) can go on from there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

# Dagster's terminal backfill states (BulkActionStatus values; the enum is not a public export).
FINISHED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}
SUCCEEDED_BACKFILL = {"COMPLETED", "COMPLETED_SUCCESS"}
FINISHED_RUN = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}
UNFINISHED_RUN = [status for status in DagsterRunStatus if status not in FINISHED_RUN]
BACKFILL_TAG = "dagster/backfill"
PARTITION_TAG = "dagster/partition"


@dataclass(frozen=True)
class BackfillRun:
    job: str
    partition: str
    status: str


@dataclass(frozen=True)
class BackfillOutcome:
    backfill_id: str
    status: str
    runs: tuple[BackfillRun, ...]

    @property
    def succeeded(self) -> bool:
        return self.status in SUCCEEDED_BACKFILL and all(
            run.status == DagsterRunStatus.SUCCESS.value for run in self.runs
        )

    def describe(self) -> str:
        runs = ", ".join(f"{run.job} {run.partition} {run.status}" for run in self.runs) or "no runs"
        return f"backfill {self.backfill_id}: {self.status} ({runs})"


def backfill_outcomes(instance: DagsterInstance) -> list[BackfillOutcome]:
    """Every backfill of the instance, oldest first, with its runs' job, partition and status."""
    outcomes = []
    for backfill in reversed(instance.get_backfills()):
        runs = sorted(
            instance.get_runs(RunsFilter(tags={BACKFILL_TAG: backfill.backfill_id})),
            key=lambda run: run.tags.get(PARTITION_TAG, ""),
        )
        outcomes.append(
            BackfillOutcome(
                backfill.backfill_id,
                backfill.status.value,
                tuple(BackfillRun(run.job_name, run.tags.get(PARTITION_TAG, ""), run.status.value) for run in runs),
            )
        )
    return outcomes


def busy(instance: DagsterInstance) -> list[str]:
    """What still goes on: unfinished backfills and runs queued or in progress."""
    going = [
        f"backfill {b.backfill_id} {b.status}" for b in backfill_outcomes(instance) if b.status not in FINISHED_BACKFILL
    ]
    going += [
        f"{run.job_name} {run.tags.get(PARTITION_TAG, '')} {run.status.value}".replace("  ", " ")
        for run in instance.get_runs(RunsFilter(statuses=UNFINISHED_RUN))
    ]
    return going


def wait_until_idle(instance: DagsterInstance, timeout_s: float, poll_s: float = 2.0) -> list[BackfillOutcome]:
    """The backfills once nothing is going on; TimeoutError naming what still is."""
    deadline = time.monotonic() + timeout_s
    while going := busy(instance):
        if time.monotonic() > deadline:
            raise TimeoutError(f"still going after {timeout_s:.0f} s (is the daemon running?): {'; '.join(going)}")
        time.sleep(poll_s)
    return backfill_outcomes(instance)
