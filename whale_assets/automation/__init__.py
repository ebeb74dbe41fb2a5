"""Unattended operation: sensors and schedules over the daily partitions."""

from dagster import ScheduleDefinition, SensorDefinition

from whale_assets.automation.review_sensor import review_files_sensor
from whale_assets.automation.schedules import whale_pipeline_schedule
from whale_assets.automation.sensors import daily_audio_sensor

SENSORS: list[SensorDefinition] = [daily_audio_sensor, review_files_sensor]
SCHEDULES: list[ScheduleDefinition] = [whale_pipeline_schedule]
