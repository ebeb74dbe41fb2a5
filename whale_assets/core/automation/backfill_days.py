"""Which days the daily sensor asks Dagster to run, decided from plain facts about each day.

The sensor gathers the facts (archive, Dagster instance, encounter source) and this module
decides, so every rule is a small, dagster-free function with a reason a person can read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum


def completed_days(now_utc: dt.datetime, lookback: int, first_day: dt.date | None = None) -> list[dt.date]:
    """The last `lookback` UTC days that have ended by `now_utc`, oldest first (not before `first_day`)."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    today = now_utc.astimezone(dt.timezone.utc).date()
    days = [today - dt.timedelta(days=n) for n in range(lookback, 0, -1)]
    return [day for day in days if first_day is None or day >= first_day]


class PartitionState(str, Enum):
    """The state of a day's `whale_results` partition, as the Dagster instance reports it."""

    MATERIALIZED = "materialized"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    MISSING = "missing"


@dataclass(frozen=True)
class DayFacts:
    day: dt.date
    has_audio: bool | None
    """Whether the archive has the day's file; None when the check itself failed (see `problem`)."""
    state: PartitionState
    runs_in_progress: Sequence[str] = ()
    """Ids of queued or running runs for the day's partition."""
    run_started_utc: Mapping[str, dt.datetime] = field(default_factory=dict)
    """When each STARTED run among `runs_in_progress` started (queued and starting runs have no entry)."""
    now_utc: dt.datetime | None = None
    """The tick's time: with `run_started_utc`, tells a run killed without a word from a slow one."""
    materialized_encounters: int | None = None
    """`rows_kept` of the latest computed `encounters` materialization of the day, if any."""
    source_encounters: int | None = None
    """How many encounters the source reports for the day now (same radius), if it was asked."""
    radius_km: float | None = None
    """The radius the materialized encounters were selected with (and the source was asked with)."""
    used_run_keys: frozenset[str] = field(default_factory=frozenset)
    """Run keys this sensor already used for the day (Dagster never runs a run key twice)."""
    problem: str | None = None
    """Why a fact is unknown (archive or source unreachable)."""


@dataclass(frozen=True)
class DayDecision:
    day: dt.date
    run_key: str | None
    """Set when the day is requested."""
    reason: str

    @property
    def requested(self) -> bool:
        return self.run_key is not None


def day_run_key(day: dt.date) -> str:
    """The run key of a day's first request."""
    return day.isoformat()


def late_encounters_run_key(day: dt.date, source_count: int) -> str:
    """The run key of a re-request for late encounters: one per encounter count, so each new count runs once."""
    return f"{day.isoformat()}:encounters={source_count}"


def stale_retry_run_key(day: dt.date, dead_run_id: str) -> str:
    """The run key of a re-request after a run taken for dead: one per dead run."""
    return f"{day.isoformat()}:retry-after-stale-{dead_run_id[:8]}"


def stale_runs(
    run_ids: Sequence[str],
    run_started_utc: Mapping[str, dt.datetime],
    now_utc: dt.datetime | None,
    stale_after: dt.timedelta | None,
) -> tuple[str, ...]:
    """The runs STARTED longer than `stale_after` before `now_utc`: killed (SIGKILL, OOM, reboot), not slow.

    A killed run worker never reports its end, so without run monitoring the run stays STARTED.
    """
    if stale_after is None or now_utc is None:
        return ()
    return tuple(r for r in run_ids if r in run_started_utc and now_utc - run_started_utc[r] > stale_after)


def needs_source_count(state: PartitionState, has_audio: bool | None, runs_in_progress: Sequence[str]) -> bool:
    """Only a materialized, idle day with audio is compared with the source (saves API calls)."""
    return state is PartitionState.MATERIALIZED and has_audio is True and not runs_in_progress


def decide(facts: DayFacts, stale_run_after: dt.timedelta | None = None) -> DayDecision:
    """Request the day or say why not, first rule that applies wins.

    Runs STARTED longer than `stale_run_after` ago count as dead, not in progress (None: never).
    """
    day = facts.day
    dead = stale_runs(facts.runs_in_progress, facts.run_started_utc, facts.now_utc, stale_run_after)
    live = [run for run in facts.runs_in_progress if run not in dead]
    if live:
        return DayDecision(day, None, f"a run is already queued or running for it ({', '.join(live)})")
    if facts.has_audio is None:
        return DayDecision(day, None, f"could not check the archive ({facts.problem}); will look again next tick")
    if not facts.has_audio:
        return DayDecision(day, None, "the archive has no audio file for this day")
    if facts.state is PartitionState.MATERIALIZED:
        return _decide_materialized(facts)
    if dead:
        assert facts.now_utc is not None and stale_run_after is not None  # else stale_runs finds none
        return _decide_after_dead_run(facts, dead, facts.now_utc, stale_run_after)
    key = day_run_key(day)
    if key in facts.used_run_keys:
        return DayDecision(
            day,
            None,
            f"whale_results is {facts.state.value} but this sensor already requested it once (run key {key}); "
            "re-execute it from the UI or backfill it once the cause is fixed",
        )
    what = (
        "its last run failed and this sensor has not requested it yet"
        if facts.state is PartitionState.FAILED
        else ("whale_results is not materialized")
    )
    return DayDecision(day, key, f"audio is in the archive and {what}")


def _decide_after_dead_run(
    facts: DayFacts, dead: Sequence[str], now_utc: dt.datetime, limit: dt.timedelta
) -> DayDecision:
    day = facts.day
    newest = max(dead, key=lambda run: facts.run_started_utc[run])
    age_h = (now_utc - facts.run_started_utc[newest]) / dt.timedelta(hours=1)
    limit_h = limit / dt.timedelta(hours=1)
    key = stale_retry_run_key(day, newest)
    if key in facts.used_run_keys:
        return DayDecision(
            day,
            None,
            f"run {newest} was taken for dead and this sensor already requested the day again (run key {key}); "
            "re-execute it from the UI or backfill it once the cause is fixed",
        )
    return DayDecision(
        day,
        key,
        f"run {newest} has been STARTED for {age_h:.0f} h, longer than any real run "
        f"({limit_h:g} h, WHALE_SENSOR_STALE_RUN_HOURS): taken for dead (killed?), whale_results is "
        f"{facts.state.value}, requesting the day again",
    )


def _decide_materialized(facts: DayFacts) -> DayDecision:
    day, stored, now = facts.day, facts.materialized_encounters, facts.source_encounters
    if stored is None:
        return DayDecision(day, None, "materialized; no encounter count recorded to compare with the source")
    if now is None:
        detail = f" ({facts.problem})" if facts.problem else ""
        return DayDecision(day, None, f"materialized with {stored} encounters; could not ask the source now{detail}")
    if now <= stored:
        return DayDecision(day, None, f"up to date: {stored} encounters materialized, the source reports {now}")
    key = late_encounters_run_key(day, now)
    if key in facts.used_run_keys:
        return DayDecision(
            day,
            None,
            f"the source reports {now} encounters (materialized {stored}) but run key {key} was already "
            "requested; re-execute it from the UI once the cause is fixed",
        )
    return DayDecision(day, key, f"late encounters: {stored} materialized, the source now reports {now}")


def summarize(decisions: Sequence[DayDecision]) -> str:
    """One line per day, for the tick's log and skip reason."""
    return "\n".join(f"{d.day.isoformat()}: {'REQUEST' if d.requested else 'skip'} - {d.reason}" for d in decisions)


def previous_complete_day(now_utc: dt.datetime) -> dt.date:
    """The last UTC day that has ended at `now_utc` (the partition a daily schedule runs)."""
    if now_utc.tzinfo is None:
        raise ValueError("now_utc must be timezone-aware")
    return now_utc.astimezone(dt.timezone.utc).date() - dt.timedelta(days=1)
