"""Unattended operation: the archive-watching sensor, declarative automation, freshness, the schedule.

- `daily_audio_sensor` requests new days of `whale_pipeline` as the archive gets them.
- `automation_condition_sensor` evaluates the assets' automation conditions
  (`assets/automation.py`): a re-materialized day brings its derived tables and deliverables up
  to date without a manual run.
- `freshness_checks_sensor` evaluates the freshness check of `whale_results`
  (`assets/freshness.py`): a day not processed by 06:00 UTC the next day shows as stale.
- `review_files_sensor` runs `reviewed_detections` for the days whose review files are new or changed.
- `whale_pipeline_schedule` (off by default) is the fixed-time alternative to the sensor.
"""

import warnings

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    SensorDefinition,
    SupersessionWarning,
    build_sensor_for_freshness_checks,
)

from whale_assets.assets import DAY_SCORE_ASSETS, DELIVERABLE_ASSETS, detector_performance
from whale_assets.assets.freshness import FRESHNESS_CHECKS
from whale_assets.automation.review_sensor import review_files_sensor
from whale_assets.automation.schedules import whale_pipeline_schedule
from whale_assets.automation.sensors import daily_audio_sensor

AUTOMATION_SENSOR_NAME = "automation_condition_sensor"

# Every asset with an automation condition (the others have none, so are never requested here).
automation_condition_sensor = AutomationConditionSensorDefinition(
    AUTOMATION_SENSOR_NAME,
    target=AssetSelection.assets(*DAY_SCORE_ASSETS, *DELIVERABLE_ASSETS, detector_performance),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Requests the days of derived tables and deliverables whose upstream days changed, and the "
    "detector performance when reviews changed.",
)
with warnings.catch_warnings():  # superseded in 1.13, chosen knowingly (see assets/freshness.py)
    warnings.simplefilter("ignore", SupersessionWarning)
    freshness_checks_sensor = build_sensor_for_freshness_checks(
        freshness_checks=FRESHNESS_CHECKS, default_status=DefaultSensorStatus.RUNNING
    )

SENSORS: list[SensorDefinition] = [
    daily_audio_sensor,
    automation_condition_sensor,
    freshness_checks_sensor,
    review_files_sensor,
]
SCHEDULES = [whale_pipeline_schedule]
