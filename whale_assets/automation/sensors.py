"""`daily_audio_sensor`: run the pipeline for each recent UTC day that has audio and no results yet.

Every tick (at most hourly) it looks at the last `WHALE_SENSOR_LOOKBACK_DAYS` completed UTC days,
gathers the facts of each day (archive file, `whale_results` partition state, queued or running
runs, encounter counts then and now) and lets `core.automation.backfill_days.decide` choose. Each
decision and its reason is logged on the tick, so the UI shows why a day was or was not requested.
"""

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from whale_assets.assets.encounters import EncountersConfig
from whale_assets.assets.partitions import ARCHIVE_START, daily_partitions
from whale_assets.core.automation.backfill_days import (
    DayDecision,
    DayFacts,
    PartitionState,
    completed_days,
    decide,
    needs_source_count,
    stale_runs,
    summarize,
)
from whale_assets.core.encounters.table import select_encounters
from whale_assets.jobs import whale_pipeline_job
from whale_assets.resources import AudioArchiveResource, EncounterSource
from whale_assets.settings import lookback_days_from_env, stale_run_hours_from_env
from whale_assets.storage.metadata_keys import ROWS_KEPT_KEY

SENSOR_NAME = "daily_audio_sensor"
RESULTS = AssetKey("whale_results")
ENCOUNTERS = AssetKey("encounters")
WAITING_OR_RUNNING = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
]
PARTITION_TAG = "dagster/partition"
RUN_KEY_TAG = "dagster/run_key"
SENSOR_TAG = "dagster/sensor_name"
TRIGGER_TAG = "whale_assets/trigger"
_STATES = {
    "MATERIALIZED": PartitionState.MATERIALIZED,
    "IN_PROGRESS": PartitionState.IN_PROGRESS,
    "FAILED": PartitionState.FAILED,
}


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def build_daily_audio_sensor(
    lookback_days: int | None = None,
    now: Callable[[], dt.datetime] = utc_now,
    name: str = SENSOR_NAME,
    stale_run_hours: float | None = None,
) -> SensorDefinition:
    """The sensor; `lookback_days` and `stale_run_hours` default to WHALE_SENSOR_LOOKBACK_DAYS and
    WHALE_SENSOR_STALE_RUN_HOURS (read now, at load)."""
    lookback = lookback_days_from_env() if lookback_days is None else lookback_days
    stale_after = dt.timedelta(hours=stale_run_hours_from_env() if stale_run_hours is None else stale_run_hours)
    first_day = dt.date.fromisoformat(ARCHIVE_START)

    @sensor(
        name=name,
        job=whale_pipeline_job,
        minimum_interval_seconds=3600,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Requests whale_pipeline for each of the last {lookback} completed UTC days that has an archive "
            "file and whose whale_results is neither materialized nor in progress; re-requests a day when "
            "the encounter source now reports more encounters than were materialized."
        ),
    )
    def daily_audio_sensor(
        context: SensorEvaluationContext,
        audio_archive: AudioArchiveResource,
        encounter_source: EncounterSource,
    ):
        now_utc = now()
        days = completed_days(now_utc, lookback, first_day)
        if not days:
            return SkipReason("no completed UTC day in the lookback is a partition yet")
        facts = gather_facts(context.instance, days, audio_archive, encounter_source, name, now_utc, stale_after)
        decisions = [decide(f, stale_after) for f in facts]
        for decision in decisions:
            context.log.info(
                f"{decision.day}: {'requesting' if decision.requested else 'not requesting'} - {decision.reason}"
            )
        requests = [_run_request(d, f) for d, f in zip(decisions, facts, strict=True) if d.requested]
        if not requests:
            return SkipReason(f"nothing to request in the last {lookback} UTC days:\n{summarize(decisions)}")
        return SensorResult(run_requests=requests)

    return daily_audio_sensor


def gather_facts(
    instance: DagsterInstance,
    days: list[dt.date],
    audio_archive: AudioArchiveResource,
    encounter_source: EncounterSource,
    sensor_name: str = SENSOR_NAME,
    now_utc: dt.datetime | None = None,
    stale_after: dt.timedelta | None = None,
) -> list[DayFacts]:
    keys = [day.isoformat() for day in days]
    statuses = instance.get_status_by_partition(RESULTS, keys, daily_partitions) or {}
    try:
        archive, archive_problem = audio_archive.open(), None
    except Exception as error:  # a bad endpoint or credentials: every day is unknown, say why
        archive, archive_problem = None, f"{type(error).__name__}: {error}"
    facts = []
    for day, key in zip(days, keys, strict=True):
        has_audio, problem = _has_audio(archive, day) if archive is not None else (None, archive_problem)
        state = _state(statuses.get(key))
        records = instance.get_run_records(RunsFilter(tags={PARTITION_TAG: key}, statuses=WAITING_OR_RUNNING))
        in_progress = tuple(record.dagster_run.run_id for record in records)
        started = _started_utc(records)
        dead = stale_runs(in_progress, started, now_utc, stale_after)
        used_keys = frozenset(
            run.tags[RUN_KEY_TAG]
            for run in instance.get_runs(RunsFilter(tags={SENSOR_TAG: sensor_name, PARTITION_TAG: key}))
            if RUN_KEY_TAG in run.tags
        )
        stored = source = radius = None
        if needs_source_count(state, has_audio, [run for run in in_progress if run not in dead]):
            stored, radius = _materialized_encounters(instance, key)
            if stored is not None:
                source, problem = _source_count(encounter_source, day, radius)
        facts.append(
            DayFacts(
                day=day,
                has_audio=has_audio,
                state=state,
                runs_in_progress=in_progress,
                run_started_utc=started,
                now_utc=now_utc,
                materialized_encounters=stored,
                source_encounters=source,
                radius_km=radius,
                used_run_keys=used_keys,
                problem=problem,
            )
        )
    return facts


def _started_utc(records) -> dict[str, dt.datetime]:
    """Start times of the STARTED runs (a run killed without a word stays STARTED)."""
    return {
        record.dagster_run.run_id: dt.datetime.fromtimestamp(record.start_time, dt.timezone.utc)
        for record in records
        if record.dagster_run.status == DagsterRunStatus.STARTED and record.start_time is not None
    }


def _has_audio(archive, day: dt.date) -> tuple[bool | None, str | None]:
    try:
        return bool(archive.has_day(day)), None
    except Exception as error:  # network or permissions: unknown, not "missing"
        return None, f"{type(error).__name__}: {error}"


def _state(status) -> PartitionState:
    return _STATES.get(getattr(status, "value", ""), PartitionState.MISSING)


def _default_radius_km() -> float:
    return float(EncountersConfig.model_fields["radius_km"].default)


def _materialized_encounters(instance: DagsterInstance, partition: str) -> tuple[int | None, float]:
    """`rows_kept` of the newest computed `encounters` materialization and the radius its run used.

    Materializations that reused a stored partition carry no counts; the newest one that does
    describes the stored rows.
    """
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=ENCOUNTERS, asset_partitions=[partition]), limit=20
    ).records
    for record in records:
        materialization = record.asset_materialization
        if materialization is None or ROWS_KEPT_KEY not in materialization.metadata:
            continue
        rows_kept = materialization.metadata[ROWS_KEPT_KEY].value
        if not isinstance(rows_kept, int):  # written as an int; anything else is no count
            continue
        run = instance.get_run_by_id(record.run_id)
        run_config: Mapping[str, Any] = (run.run_config if run else None) or {}
        config = run_config.get("ops", {}).get("encounters", {}).get("config", {})
        radius = float(config.get("radius_km", _default_radius_km()))
        return rows_kept, radius
    return None, _default_radius_km()


def _source_count(source: EncounterSource, day: dt.date, radius_km: float) -> tuple[int | None, str | None]:
    try:
        fetched = source.fetch(day, radius_km)
        return int(select_encounters(fetched.table, day, radius_km=radius_km).counts["kept"]), None
    except Exception as error:  # Happywhale down, unreadable exports: compare next tick
        return None, f"{type(error).__name__}: {error}"


def _run_request(decision: DayDecision, facts: DayFacts) -> RunRequest:
    late = facts.state is PartitionState.MATERIALIZED
    run_config = {}
    if late:
        # Fetch again even where the platform would reuse an unchanged-looking stored partition.
        encounters_config: dict = {}
        if "force" in EncountersConfig.model_fields:
            encounters_config["force"] = True
        if facts.radius_km is not None and facts.radius_km != _default_radius_km():
            encounters_config["radius_km"] = facts.radius_km  # the radius the count was compared at
        if encounters_config:
            run_config = {"ops": {"encounters": {"config": encounters_config}}}
    return RunRequest(
        run_key=decision.run_key,
        partition_key=decision.day.isoformat(),
        run_config=run_config,
        tags={TRIGGER_TAG: "late_encounters" if late else "new_day"},
    )


daily_audio_sensor = build_daily_audio_sensor()
