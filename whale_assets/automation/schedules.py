"""`whale_pipeline_schedule`: the partitioned job once a day, for the UTC day that just ended (off by default).

Built by `build_schedule_from_partitioned_job`: the cron comes from the job's daily partitions,
each tick requests the last complete partition with the partition key as run key. The sensor is
the default way to run unattended; turn this on in the UI (Automation) instead if a fixed time
suits you better, and don't run both.
"""

from dagster import DefaultScheduleStatus, build_schedule_from_partitioned_job

from whale_assets.jobs import whale_pipeline_job

SCHEDULE_NAME = "whale_pipeline_schedule"
HOUR_OF_DAY = 2  # 02:00 UTC: the archive's previous-day file is usually complete by then
MINUTE_OF_HOUR = 0


def build_whale_pipeline_schedule(
    job=whale_pipeline_job, hour_of_day: int = HOUR_OF_DAY, minute_of_hour: int = MINUTE_OF_HOUR
):
    """The schedule of `job` (resolved with the job when the definitions are built)."""
    return build_schedule_from_partitioned_job(
        job,
        name=SCHEDULE_NAME,
        hour_of_day=hour_of_day,
        minute_of_hour=minute_of_hour,
        default_status=DefaultScheduleStatus.STOPPED,
        description="whale_pipeline for the UTC day that ended before each tick (partition key = run key).",
    )


whale_pipeline_schedule = build_whale_pipeline_schedule()
