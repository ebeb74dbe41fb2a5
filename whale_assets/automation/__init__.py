"""Unattended operation: sensors and schedules over the daily partitions."""

from dagster import ScheduleDefinition, SensorDefinition

SENSORS: list[SensorDefinition] = []
SCHEDULES: list[ScheduleDefinition] = []
