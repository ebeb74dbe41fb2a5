"""The daily schedule: off by default, and each tick asks for the UTC day that just ended."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DefaultScheduleStatus, build_schedule_context

from whale_assets.assets.partitions import daily_partitions
from whale_assets.automation.schedules import SCHEDULE_NAME
from whale_assets.definitions import defs

UTC = dt.timezone.utc


@pytest.fixture
def schedule():
    return defs.get_repository_def().get_schedule_def(SCHEDULE_NAME)  # resolved with its job, as the daemon has it


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


def test_it_is_built_from_the_partitioned_job_so_its_ticks_are_the_jobs_daily_partitions(schedule):
    job = defs.resolve_job_def(schedule.job_name)
    assert job.partitions_def == daily_partitions  # the partition set the schedule's ticks pick from
    # `build_schedule_from_partitioned_job` derives the cron from the partitions: daily, at the offset.
    assert schedule.cron_schedule == daily_partitions.get_cron_schedule(minute_of_hour=0, hour_of_day=2)
    for day in range(1, 32):
        key = partition_requested(schedule, dt.datetime(2023, 12, day, 2, 0, tzinfo=UTC))
        assert daily_partitions.has_partition_key(key)


def test_it_requests_nothing_before_the_archive_starts(schedule):
    repository = defs.get_repository_def()
    with build_schedule_context(
        scheduled_execution_time=dt.datetime(2015, 7, 1, 2, 0, tzinfo=UTC), repository_def=repository
    ) as context:
        assert not schedule.evaluate_tick(context).run_requests
