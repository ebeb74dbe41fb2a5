"""`whale_pipeline_schedule`: the partitioned job once a day, for the UTC day that just ended (off by default).

It is what `build_schedule_from_partitioned_job(whale_pipeline_job, hour_of_day=2)` makes: the
cron comes from the job's daily partitions, each tick requests the last complete partition with
the partition key as run key. The sensor is the default way to run unattended; turn this on in
the UI (Automation) instead if a fixed time suits you better, and don't run both.
"""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from whale_assets.assets.partitions import ARCHIVE_START, daily_partitions
from whale_assets.core.automation.backfill_days import previous_complete_day
from whale_assets.jobs import whale_pipeline_job

SCHEDULE_NAME = "whale_pipeline_schedule"
HOUR_OF_DAY = 2  # 02:00 UTC: the archive's previous-day file is usually complete by then
MINUTE_OF_HOUR = 0


def build_whale_pipeline_schedule(hour_of_day: int = HOUR_OF_DAY, minute_of_hour: int = MINUTE_OF_HOUR) -> ScheduleDefinition:
    @schedule(
        name=SCHEDULE_NAME,
        job=whale_pipeline_job,
        cron_schedule=daily_partitions.get_cron_schedule(minute_of_hour=minute_of_hour, hour_of_day=hour_of_day),
        execution_timezone=daily_partitions.timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description="whale_pipeline for the UTC day that ended before each tick (partition key = run key).",
    )
    def whale_pipeline_schedule(context: ScheduleEvaluationContext):
        day = previous_complete_day(context.scheduled_execution_time)
        key = day.isoformat()
        if key < ARCHIVE_START:
            return SkipReason(f"{key} is before the archive starts ({ARCHIVE_START})")
        return RunRequest(run_key=key, partition_key=key)

    return whale_pipeline_schedule


whale_pipeline_schedule = build_whale_pipeline_schedule()
