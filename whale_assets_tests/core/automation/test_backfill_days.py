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
        facts(state=PartitionState.MATERIALIZED, runs_in_progress=("abc",), materialized_encounters=1, source_encounters=3)
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
