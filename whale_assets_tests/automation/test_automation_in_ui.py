"""What the UI shows of the automation: sensors on by default, the schedule of the partitioned job.

A real `dagster dev` (as `make dev` starts it) over an empty offline world; the GraphQL API the
UI reads, then the schedule's page in headless Chromium (screenshot in `test-artifacts/ui/`).
"""

from __future__ import annotations

import shutil
import time

import pytest

from whale_assets.automation import AUTOMATION_SENSOR_NAME
from whale_assets.automation.schedules import SCHEDULE_NAME
from whale_assets_tests.automation.test_dagster_ui_in_browser import ARTIFACTS, open_page
from whale_assets_tests.support.browser import chromium_path, headless_chromium
from whale_assets_tests.support.dagster_dev import LOCATION, running_dagster_dev

pytestmark = [
    pytest.mark.slow,  # a real dagster dev and a browser
    pytest.mark.skipif(chromium_path() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"),
]

INSTIGATORS = """
query($location: String!) {
  repositoryOrError(repositorySelector: {repositoryLocationName: $location, repositoryName: "__repository__"}) {
    ... on Repository {
      sensors { name sensorState { status } }
      schedules { name cronSchedule pipelineName partitionSet { name } scheduleState { status } }
    }
  }
}"""


def test_the_automation_and_freshness_sensors_run_by_default_and_the_schedule_targets_the_daily_job(world, tmp_path):
    with running_dagster_dev(world, tmp_path) as server:
        repository = server.graphql(INSTIGATORS, {"location": LOCATION})["repositoryOrError"]
        sensors = {s["name"]: s["sensorState"]["status"] for s in repository["sensors"]}
        assert sensors == {
            "daily_audio_sensor": "RUNNING",
            AUTOMATION_SENSOR_NAME: "RUNNING",
            "freshness_checks_sensor": "RUNNING",
            "review_files_sensor": "RUNNING",
        }
        [schedule] = repository["schedules"]
        assert (schedule["name"], schedule["pipelineName"], schedule["cronSchedule"]) == (
            SCHEDULE_NAME,
            "whale_pipeline",
            "0 2 * * *",
        )
        assert schedule["scheduleState"]["status"] == "STOPPED"

        base = f"http://127.0.0.1:{server.port}"
        with headless_chromium(tmp_path / "chromium-profile", tmp_path / "chromium.log") as page:
            text = open_page(
                page, f"{base}/locations/{LOCATION}/schedules/{SCHEDULE_NAME}", SCHEDULE_NAME, "whale_pipeline"
            )
            page.wait_for_text("Execution timezone")
            time.sleep(3)  # the tick history below loads after the table; a shot sooner shows spinners
            shot = page.screenshot(tmp_path / "schedule.png")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copy(shot, ARTIFACTS / "schedule.png")
        assert "Partition set" in text
        # Dagster 1.13 gives no schedule a partition set (its ScheduleSnap always has none), so the
        # row reads None even for a schedule built from a partitioned job: recorded, not hidden.
        assert schedule["partitionSet"] is None
