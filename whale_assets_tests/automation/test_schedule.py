"""The daily schedule: off by default, and each tick asks for the UTC day that just ended."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DefaultScheduleStatus, build_schedule_context, build_schedule_from_partitioned_job

from whale_assets.automation import SCHEDULES
from whale_assets.definitions import defs
from whale_assets.jobs import whale_pipeline_job

UTC = dt.timezone.utc


@pytest.fixture
def schedule():
    [whale_pipeline_schedule] = SCHEDULES
    return whale_pipeline_schedule


def partition_requested(schedule, when: dt.datetime) -> str:
    repository = defs.get_repository_def()  # the code location, as the daemon evaluates it
    with build_schedule_context(scheduled_execution_time=when, repository_def=repository) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.run_key == request.partition_key
    return request.partition_key


def test_it_is_off_by_default_runs_daily_in_utc_and_targets_the_pipeline(schedule):
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "whale_pipeline"


@pytest.mark.parametrize(
    ("when", "partition"),
    [
        (dt.datetime(2023, 9, 15, 2, 0, tzinfo=UTC), "2023-09-14"),
        (dt.datetime(2024, 3, 1, 2, 0, tzinfo=UTC), "2024-02-29"),  # leap day
        (dt.datetime(2024, 1, 1, 2, 0, tzinfo=UTC), "2023-12-31"),
        # 19:00 at UTC-7 on the 14th is 02:00 UTC on the 15th: the 14th (UTC) has ended.
        (dt.datetime(2023, 9, 14, 19, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7))), "2023-09-14"),
    ],
)
def test_each_tick_requests_the_previous_complete_utc_day(schedule, when, partition):
    assert partition_requested(schedule, when) == partition


def test_it_agrees_with_dagsters_schedule_built_from_the_partitioned_job(schedule):
    # The job as the code location resolves it: partitioned like the assets it selects.
    built = build_schedule_from_partitioned_job(defs.resolve_job_def(whale_pipeline_job.name), hour_of_day=2)
    assert built.cron_schedule == schedule.cron_schedule
    assert built.execution_timezone == schedule.execution_timezone
    assert built.default_status == schedule.default_status
    for day in range(1, 32):
        when = dt.datetime(2023, 12, day, 2, 0, tzinfo=UTC)
        assert partition_requested(built, when) == partition_requested(schedule, when)
