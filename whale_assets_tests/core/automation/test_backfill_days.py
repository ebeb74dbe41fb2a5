"""The sensor's decision rules, without Dagster."""

from __future__ import annotations

import datetime as dt

import pytest

from whale_assets.core.automation.backfill_days import (
    DayFacts,
    PartitionState,
    completed_days,
    decide,
    previous_complete_day,
    stale_runs,
)

DAY = dt.date(2023, 9, 14)
UTC = dt.timezone.utc


def facts(**overrides) -> DayFacts:
    base = dict(day=DAY, has_audio=True, state=PartitionState.MISSING)
    return DayFacts(**{**base, **overrides})


def test_lookback_covers_completed_utc_days_only_oldest_first():
    now = dt.datetime(2023, 9, 20, 0, 30, tzinfo=UTC)
    assert completed_days(now, 3) == [dt.date(2023, 9, 17), dt.date(2023, 9, 18), dt.date(2023, 9, 19)]
    # 23:30 at UTC-8 on the 19th is already the 20th in UTC.
    late_evening_pacific = dt.datetime(2023, 9, 19, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-8)))
    assert completed_days(late_evening_pacific, 1) == [dt.date(2023, 9, 19)]


def test_lookback_never_reaches_before_the_archive():
    now = dt.datetime(2015, 7, 3, 12, tzinfo=UTC)
    assert completed_days(now, 7, first_day=dt.date(2015, 7, 1)) == [dt.date(2015, 7, 1), dt.date(2015, 7, 2)]


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        completed_days(dt.datetime(2023, 9, 20), 7)


def test_a_missing_day_with_audio_is_requested_under_its_day_key():
    decision = decide(facts())
    assert decision.run_key == "2023-09-14"
    assert "not materialized" in decision.reason


def test_a_day_without_audio_is_not_requested():
    decision = decide(facts(has_audio=False))
    assert not decision.requested and "no audio file" in decision.reason


def test_an_unreachable_archive_is_not_taken_for_a_missing_day():
    decision = decide(facts(has_audio=None, problem="ConnectionError: timed out"))
    assert not decision.requested and "timed out" in decision.reason


def test_a_queued_or_running_day_is_not_requested_again_even_with_late_encounters():
    decision = decide(
        facts(
            state=PartitionState.MATERIALIZED, runs_in_progress=("abc",), materialized_encounters=1, source_encounters=3
        )
    )
    assert not decision.requested and "abc" in decision.reason


def test_a_materialized_day_is_left_alone_while_the_source_reports_no_more_encounters():
    for now in (2, 1):
        decision = decide(facts(state=PartitionState.MATERIALIZED, materialized_encounters=2, source_encounters=now))
        assert not decision.requested and "up to date" in decision.reason


def test_late_encounters_re_request_a_materialized_day_once_per_new_count():
    late = facts(state=PartitionState.MATERIALIZED, materialized_encounters=2, source_encounters=3)
    assert decide(late).run_key == "2023-09-14:encounters=3"
    already = facts(
        state=PartitionState.MATERIALIZED,
        materialized_encounters=2,
        source_encounters=3,
        used_run_keys=frozenset({"2023-09-14", "2023-09-14:encounters=3"}),
    )
    assert not decide(already).requested


def test_an_unknown_source_count_does_not_request():
    decision = decide(facts(state=PartitionState.MATERIALIZED, materialized_encounters=2, problem="HTTP 503"))
    assert not decision.requested and "HTTP 503" in decision.reason


def test_a_failed_day_is_requested_once_then_left_for_a_person():
    assert decide(facts(state=PartitionState.FAILED)).run_key == "2023-09-14"
    again = decide(facts(state=PartitionState.FAILED, used_run_keys=frozenset({"2023-09-14"})))
    assert not again.requested and "already requested it once" in again.reason


def test_the_schedule_day_is_the_utc_day_that_ended():
    assert previous_complete_day(dt.datetime(2023, 9, 15, 2, 0, tzinfo=UTC)) == DAY
    assert previous_complete_day(dt.datetime(2023, 9, 15, 0, 0, tzinfo=UTC)) == DAY


# Issue 14, finding 14: a run killed without a word stays STARTED; after far longer than any real
# run it is taken for dead and the day is requested again, once per dead run.

NOW = dt.datetime(2023, 9, 20, 5, 0, tzinfo=UTC)
STALE_AFTER = dt.timedelta(hours=12)
DEAD_RUN = "deadbeef-1111-2222-3333-444455556666"


def started(hours_ago: float) -> dict:
    return dict(
        runs_in_progress=(DEAD_RUN,), run_started_utc={DEAD_RUN: NOW - dt.timedelta(hours=hours_ago)}, now_utc=NOW
    )


@pytest.mark.parametrize("state", [PartitionState.IN_PROGRESS, PartitionState.MISSING, PartitionState.FAILED])
def test_a_run_started_longer_ago_than_the_limit_is_taken_for_dead_and_the_day_requested_again(state):
    decision = decide(facts(state=state, used_run_keys=frozenset({"2023-09-14"}), **started(13)), STALE_AFTER)
    assert decision.run_key == "2023-09-14:retry-after-stale-deadbeef"
    assert DEAD_RUN in decision.reason and "13 h" in decision.reason and "12 h" in decision.reason


def test_a_run_started_within_the_limit_still_blocks_the_day():
    decision = decide(facts(state=PartitionState.IN_PROGRESS, **started(11.9)), STALE_AFTER)
    assert not decision.requested and DEAD_RUN in decision.reason


def test_without_a_limit_or_a_clock_no_run_is_taken_for_dead():
    assert not decide(facts(**started(1000))).requested
    no_clock = facts(runs_in_progress=(DEAD_RUN,), run_started_utc={DEAD_RUN: NOW - dt.timedelta(days=9)})
    assert not decide(no_clock, STALE_AFTER).requested


def test_a_queued_run_has_no_start_and_is_never_stale():
    queued = facts(runs_in_progress=("queued-run",), now_utc=NOW)
    assert stale_runs(queued.runs_in_progress, queued.run_started_utc, NOW, STALE_AFTER) == ()
    assert not decide(queued, STALE_AFTER).requested


def test_a_live_run_beside_a_dead_one_blocks_the_day():
    both = started(30)
    both["runs_in_progress"] = (DEAD_RUN, "alive-run")
    both["run_started_utc"] = {**both["run_started_utc"], "alive-run": NOW - dt.timedelta(hours=1)}
    decision = decide(facts(**both), STALE_AFTER)
    assert not decision.requested and "alive-run" in decision.reason


def test_the_retry_after_a_dead_run_is_requested_once_then_left_for_a_person():
    used = frozenset({"2023-09-14", "2023-09-14:retry-after-stale-deadbeef"})
    decision = decide(facts(state=PartitionState.FAILED, used_run_keys=used, **started(40)), STALE_AFTER)
    assert not decision.requested and "already requested" in decision.reason and DEAD_RUN in decision.reason


def test_a_materialized_day_with_a_dead_run_follows_the_materialized_rules():
    decision = decide(
        facts(state=PartitionState.MATERIALIZED, materialized_encounters=2, source_encounters=2, **started(20)),
        STALE_AFTER,
    )
    assert not decision.requested and "up to date" in decision.reason
