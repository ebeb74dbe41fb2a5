"""`daily_audio_sensor` against a persistent instance and a local archive: exactly the right days."""

from __future__ import annotations

import datetime as dt
import shutil
import uuid

import pytest
from dagster import (
    AssetMaterialization,
    DagsterEvent,
    DagsterEventType,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    asset,
    build_sensor_context,
    materialize,
)
from dagster._core.remote_origin import RegisteredCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin

from whale_assets.assets.partitions import daily_partitions
from whale_assets.automation import SENSORS
from whale_assets.automation.sensors import SENSOR_NAME, build_daily_audio_sensor
from whale_assets.definitions import build_definitions
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.resources import AudioArchiveResource, EncounterSource
from whale_assets_tests.support.pipeline import run_day
from whale_assets_tests.support.world import export_row

NOW = dt.datetime(2023, 9, 20, 5, 0, tzinfo=dt.timezone.utc)  # lookback 7 -> 2023-09-13 .. 2023-09-19
NO_AUDIO = "2023-09-15"


def sensor_under_test():
    return build_daily_audio_sensor(lookback_days=7, now=lambda: NOW)


def sensor_context(world, instance):
    """What the daemon gives the sensor: the instance, the code location's repository, its resources."""
    resources = {
        "audio_archive": AudioArchiveResource(source=str(world.archive_dir)),
        "encounter_source": EncounterSource(source=str(world.encounters_dir)),
    }
    repository = build_definitions(world.settings()).get_repository_def()
    return build_sensor_context(instance=instance, resources=resources, repository_def=repository)


def evaluate(world, instance):
    with sensor_context(world, instance) as context:
        return sensor_under_test().evaluate_tick(context)


def requested(result) -> dict[str, str]:
    return {request.partition_key: request.run_key for request in result.run_requests}


def add_run(instance, day: str, status: DagsterRunStatus, **tags: str) -> str:
    """A run record for the day's partition in the given status (as the daemon would leave it)."""
    run_id = str(uuid.uuid4())
    origin = RemoteJobOrigin(
        repository_origin=RemoteRepositoryOrigin(
            code_location_origin=RegisteredCodeLocationOrigin("whale_assets"), repository_name="__repository__"
        ),
        job_name="whale_pipeline",
    )
    instance.add_run(
        DagsterRun(
            job_name="whale_pipeline",
            run_id=run_id,
            status=status,
            tags={"dagster/partition": day, **tags},
            remote_job_origin=origin,
        )
    )
    return run_id


def fail_whale_results(instance, day: str) -> None:
    """A whale_results partition whose latest run failed (planned, then the step failed)."""

    @asset(name="whale_results", partitions_def=daily_partitions)
    def broken_whale_results():
        raise RuntimeError("boom")

    result = materialize([broken_whale_results], partition_key=day, instance=instance, raise_on_error=False)
    assert not result.success


def report_materialized(instance, day: str, encounters: int) -> None:
    instance.report_runless_asset_event(
        AssetMaterialization("encounters", partition=day, metadata={"rows_kept": encounters})
    )
    instance.report_runless_asset_event(AssetMaterialization("whale_results", partition=day))


@pytest.fixture
def archive_days(world):
    """Day files for every day of the lookback except NO_AUDIO (only existence matters to the sensor)."""
    for n in range(13, 20):
        day = dt.date(2023, 9, n)
        if day.isoformat() != NO_AUDIO:
            write_day_file(archive_path(world.archive_dir, day), [], duration_s=1.0)


def test_it_requests_exactly_the_days_with_audio_and_no_results(world, instance, archive_days):
    world.encounters(
        export_row("a13", "2023-09-13 10:00:00"),
        export_row("a14", "2023-09-14 10:00:00"),
    )
    settings = world.settings()
    run_day(settings, instance, "2023-09-14")  # the real pipeline: 1 encounter materialized
    report_materialized(instance, "2023-09-13", encounters=1)  # materialized, source agrees
    add_run(instance, "2023-09-16", DagsterRunStatus.QUEUED)  # queued
    add_run(instance, "2023-09-17", DagsterRunStatus.STARTED)  # running
    fail_whale_results(instance, "2023-09-18")  # failed by hand, never requested by the sensor
    # 2023-09-19: missing, never requested -> requested

    result = evaluate(world, instance)

    assert requested(result) == {"2023-09-18": "2023-09-18", "2023-09-19": "2023-09-19"}
    assert all(r.tags["whale_assets/trigger"] == "new_day" for r in result.run_requests)


def week_with_one_encounter_on_the_14th(world, instance):
    """The 14th really materialized with one encounter, the rest of the lookback reported done."""
    world.encounters(export_row("early", "2023-09-14 10:00:00"))
    settings = world.settings()
    run_day(settings, instance, "2023-09-14")
    for day in ("2023-09-13", "2023-09-16", "2023-09-17", "2023-09-18", "2023-09-19"):
        report_materialized(instance, day, encounters=0)
    return settings


def test_late_encounters_re_request_a_materialized_day_once(world, instance, archive_days):
    week_with_one_encounter_on_the_14th(world, instance)
    assert not evaluate(world, instance).run_requests  # everything up to date

    # Happywhale gets a report for the 14th three days late (here: the export folder grows).
    world.encounters(export_row("early", "2023-09-14 10:00:00"), export_row("late", "2023-09-14 22:00:00"))
    result = evaluate(world, instance)
    assert requested(result) == {"2023-09-14": "2023-09-14:encounters=2"}
    assert result.run_requests[0].tags["whale_assets/trigger"] == "late_encounters"

    # While that run is queued the day is not requested again.
    add_run(instance, "2023-09-14", DagsterRunStatus.QUEUED)
    assert not evaluate(world, instance).run_requests


@pytest.mark.slow
def test_the_late_re_request_runs_and_then_the_day_is_up_to_date(world, instance, archive_days):
    settings = week_with_one_encounter_on_the_14th(world, instance)
    world.encounters(export_row("early", "2023-09-14 10:00:00"), export_row("late", "2023-09-14 22:00:00"))
    [request] = evaluate(world, instance).run_requests
    encounter_config = request.run_config.get("ops", {}).get("encounters", {}).get("config", {})
    run_day(settings, instance, "2023-09-14", encounters=encounter_config)
    assert not evaluate(world, instance).run_requests


def test_nothing_to_do_is_a_skip_that_says_why_for_every_day(world, instance):
    world.encounters()
    result = evaluate(world, instance)  # an empty archive
    assert not result.run_requests
    for n in range(13, 20):
        assert f"2023-09-{n}: skip - the archive has no audio file for this day" in result.skip_message


def test_the_tick_logs_each_decision(world, instance, archive_days, capfd):
    world.encounters()
    with sensor_context(world, instance) as context:
        sensor_under_test().evaluate_tick(context)
    text = "".join(capfd.readouterr())
    assert f"{NO_AUDIO}: not requesting - the archive has no audio file" in text
    assert "2023-09-19: requesting - audio is in the archive and whale_results is not materialized" in text


def test_a_day_the_sensor_already_requested_and_failed_is_left_for_a_person(world, instance, archive_days):
    world.encounters()
    fail_whale_results(instance, "2023-09-19")
    add_run(
        instance,
        "2023-09-19",
        DagsterRunStatus.FAILURE,
        **{"dagster/sensor_name": SENSOR_NAME, "dagster/run_key": "2023-09-19"},
    )
    result = evaluate(world, instance)
    assert "2023-09-19" not in requested(result)


def test_the_code_location_sensor_is_hourly_running_by_default_and_targets_the_pipeline():
    [sensor] = [s for s in SENSORS if s.name == "daily_audio_sensor"]  # beside automation and freshness
    assert sensor.minimum_interval_seconds == 3600
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    assert sensor.job_name == "whale_pipeline"


def test_the_lookback_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WHALE_SENSOR_LOOKBACK_DAYS", "3")
    assert "last 3 completed UTC days" in build_daily_audio_sensor().description
    monkeypatch.setenv("WHALE_SENSOR_LOOKBACK_DAYS", "0")
    with pytest.raises(ValueError, match="positive integer"):
        build_daily_audio_sensor()


def test_a_vanished_archive_folder_is_a_skip_naming_the_variable_and_the_folder(world, instance):
    world.encounters()
    repository = build_definitions(world.settings()).get_repository_def()
    shutil.rmtree(world.archive_dir)  # unmounted after the code location loaded (or before: it loads anyway)
    resources = {
        "audio_archive": AudioArchiveResource(source=str(world.archive_dir)),
        "encounter_source": EncounterSource(source=str(world.encounters_dir)),
    }
    with build_sensor_context(instance=instance, resources=resources, repository_def=repository) as context:
        result = sensor_under_test().evaluate_tick(context)
    assert not result.run_requests
    for n in range(13, 20):
        assert f"2023-09-{n}: skip - could not check the archive" in result.skip_message
    assert f"WHALE_AUDIO_SOURCE={world.archive_dir} is not an existing directory" in result.skip_message


def leave_run_started(instance, day: str, started_utc: dt.datetime, **tags: str) -> str:
    """A run whose worker started at `started_utc` and was then killed: it never reports an end."""
    run_id = add_run(instance, day, DagsterRunStatus.NOT_STARTED, **tags)
    start = DagsterEvent(event_type_value=DagsterEventType.RUN_START.value, job_name="whale_pipeline")
    instance.run_storage.handle_run_event(run_id, start, update_timestamp=started_utc)
    assert instance.get_run_record_by_id(run_id).dagster_run.status == DagsterRunStatus.STARTED
    return run_id


def test_a_run_left_started_far_longer_than_any_real_run_is_taken_for_dead(world, instance, archive_days, capfd):
    world.encounters()
    sensor_tags = {"dagster/sensor_name": SENSOR_NAME, "dagster/run_key": "2023-09-19"}
    dead = leave_run_started(instance, "2023-09-19", NOW - dt.timedelta(hours=13), **sensor_tags)
    slow = leave_run_started(instance, "2023-09-18", NOW - dt.timedelta(hours=11))
    for day in ("2023-09-13", "2023-09-14", "2023-09-16", "2023-09-17"):
        report_materialized(instance, day, encounters=0)

    result = evaluate(world, instance)

    assert requested(result) == {"2023-09-19": f"2023-09-19:retry-after-stale-{dead[:8]}"}
    log = "".join(capfd.readouterr())
    assert f"2023-09-19: requesting - run {dead} has been STARTED for 13 h" in log
    assert f"2023-09-18: not requesting - a run is already queued or running for it ({slow})" in log

    # While the retry runs, the day is not requested again; the dead run no longer counts.
    add_run(instance, "2023-09-19", DagsterRunStatus.STARTED)
    assert "2023-09-19" not in requested(evaluate(world, instance))


def test_the_stale_run_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("WHALE_SENSOR_STALE_RUN_HOURS", "0")
    with pytest.raises(ValueError, match="WHALE_SENSOR_STALE_RUN_HOURS"):
        build_daily_audio_sensor()
