"""Transient failures (Happywhale, archive network) are retried with backoff; permanent ones fail at once.

Run config cannot change a retry policy, so the real asset functions are re-wrapped here with the
same settings and a short delay; the production policy itself is checked separately.
"""

from __future__ import annotations

import datetime as dt
import errno
import shutil
import time
from pathlib import Path

import pytest
from dagster import AssetKey, Backoff, DagsterEventType, RetryPolicy, asset, materialize

from whale_assets.assets.daily_scores import daily_scores
from whale_assets.assets.encounters import encounters
from whale_assets.assets.partitions import daily_partitions
from whale_assets.assets.policies import TRANSIENT_RETRY
from whale_assets.assets.raw_audio import raw_audio
from whale_assets.definitions import build_resources
from whale_assets.demo.archive_writer import archive_path
from whale_assets.resources import AudioArchiveResource, EncounterSource
from whale_assets.sources.happywhale import HappywhaleError
from whale_assets_tests.support.world import export_row

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

DAY = "2023-09-14"
FAST_RETRY = RetryPolicy(
    max_retries=TRANSIENT_RETRY.max_retries, delay=0.05, backoff=TRANSIENT_RETRY.backoff, jitter=TRANSIENT_RETRY.jitter
)


def with_fast_retry(assets_def, io_manager_key: str, **metadata):
    """The same asset function and attributes, with FAST_RETRY instead of the production delay."""
    [key] = assets_def.keys
    return asset(
        name=key.path[-1],
        partitions_def=daily_partitions,
        io_manager_key=io_manager_key,
        metadata=metadata or None,
        pool=assets_def.op.pool,
        retry_policy=FAST_RETRY,
    )(assets_def.op.compute_fn.decorated_fn)


def next_call(counter: str) -> int:
    path = Path(counter)
    calls = int(path.read_text()) if path.exists() else 0
    path.write_text(str(calls + 1))
    return calls


class FlakyEncounterSource(EncounterSource):
    """Raises the given Happywhale errors on the first calls, then reads the exports."""

    failures: list[str]  # "transient" or "permanent", in call order
    counter: str

    def fetch(self, day, radius_km):
        call = next_call(self.counter)
        if call < len(self.failures):
            kind = self.failures[call]
            raise HappywhaleError(f"simulated {kind} Happywhale failure", transient=kind == "transient")
        return super().fetch(day, radius_km)


class FailingEncounterSource(EncounterSource):
    """Raises `error` on every call, counting the calls."""

    error: str  # "permission" or "http403"
    counter: str

    def fetch(self, day, radius_km):
        next_call(self.counter)
        if self.error == "permission":
            raise PermissionError(errno.EACCES, "Permission denied", str(self.source))
        import requests

        response = requests.Response()
        response.status_code = 403
        raise requests.HTTPError("403 Client Error: Forbidden for url", response=response)


class _FlakyArchive:
    def __init__(self, archive, fail: bool, error: type[BaseException] = ConnectionResetError):
        self._archive, self._fail, self._error = archive, fail, error

    def read(self, start_utc, end_utc):
        if self._fail:
            raise self._error("simulated: connection reset by the archive")
        return self._archive.read(start_utc, end_utc)

    def __getattr__(self, name):
        return getattr(self._archive, name)


class FlakyArchiveResource(AudioArchiveResource):
    """The first opened archive drops its connection on read; later ones work."""

    counter: str

    def open(self):
        return _FlakyArchive(super().open(), fail=next_call(self.counter) == 0)


class OutOfMemoryArchiveResource(AudioArchiveResource):
    """Every opened archive runs out of memory on read."""

    counter: str

    def open(self):
        next_call(self.counter)
        return _FlakyArchive(super().open(), fail=True, error=MemoryError)


def step_events(result, event_type: DagsterEventType, step: str):
    return [e for e in result.all_events if e.event_type == event_type and e.step_key == step]


@pytest.fixture
def settings(world):
    world.encounters(export_row("a", f"{DAY} 10:00:00"))
    world.audio(f"{DAY} 09:58:00", 240.0)
    world.write_archive()
    return world.settings()


def run(assets, settings, instance, **resources):
    return materialize(
        assets,
        partition_key=DAY,
        resources={**build_resources(settings), **resources},
        instance=instance,
        run_config={"ops": {"raw_audio": {"config": {"margin_s": 60.0}}}}
        if any(AssetKey("raw_audio") in a.keys for a in assets)
        else None,
        raise_on_error=False,
    )


def test_the_production_policy_backs_off_exponentially_and_covers_the_network_steps():
    assert TRANSIENT_RETRY.backoff == Backoff.EXPONENTIAL
    assert TRANSIENT_RETRY.max_retries >= 2 and TRANSIENT_RETRY.delay >= 5
    assert encounters.op.retry_policy == TRANSIENT_RETRY
    assert raw_audio.op.retry_policy == TRANSIENT_RETRY


def test_a_transient_happywhale_error_is_retried_then_succeeds(settings, instance, tmp_path):
    source = FlakyEncounterSource(
        source=str(settings.encounters), failures=["transient", "transient"], counter=str(tmp_path / "calls")
    )
    fast = with_fast_retry(encounters, "table_io_manager", partition_expr="date")
    result = run([fast], settings, instance, encounter_source=source)
    assert result.success
    assert len(step_events(result, DagsterEventType.STEP_UP_FOR_RETRY, "encounters")) == 2
    assert (tmp_path / "calls").read_text() == "3"


def test_a_permanent_happywhale_error_fails_at_once_saying_why(settings, instance, tmp_path):
    source = FlakyEncounterSource(
        source=str(settings.encounters), failures=["permanent"], counter=str(tmp_path / "calls")
    )
    fast = with_fast_retry(encounters, "table_io_manager", partition_expr="date")
    result = run([fast], settings, instance, encounter_source=source)
    assert not result.success
    assert not step_events(result, DagsterEventType.STEP_UP_FOR_RETRY, "encounters")
    [failure] = step_events(result, DagsterEventType.STEP_FAILURE, "encounters")
    assert "simulated permanent Happywhale failure" in str(failure.event_specific_data.error)
    assert "retrying will not help" in str(failure.event_specific_data.error)
    assert (tmp_path / "calls").read_text() == "1"


def test_transient_errors_that_outlast_the_retries_fail_the_partition(settings, instance, tmp_path):
    source = FlakyEncounterSource(
        source=str(settings.encounters), failures=["transient"] * 10, counter=str(tmp_path / "calls")
    )
    fast = with_fast_retry(encounters, "table_io_manager", partition_expr="date")
    result = run([fast], settings, instance, encounter_source=source)
    assert not result.success
    assert (tmp_path / "calls").read_text() == str(1 + TRANSIENT_RETRY.max_retries)


def test_an_archive_network_error_is_retried_then_reads_the_audio(settings, instance, tmp_path):
    archive = FlakyArchiveResource(source=str(settings.audio_source), counter=str(tmp_path / "opens"))
    fast = with_fast_retry(raw_audio, "array_io_manager")
    result = run([encounters, fast], settings, instance, audio_archive=archive)
    assert result.success
    [retry] = step_events(result, DagsterEventType.STEP_UP_FOR_RETRY, "raw_audio")
    assert "connection reset" in str(retry.event_specific_data.error)
    [materialization] = result.asset_materializations_for_node("raw_audio")
    assert materialization.metadata["windows_ok"].value == 1  # the audio was read after the retry


# --- permanent errors fail at once (issue 14, finding 12) -------------------------------------


def assert_failed_without_retry(result, step: str, *phrases: str) -> str:
    assert not result.success
    assert not step_events(result, DagsterEventType.STEP_UP_FOR_RETRY, step)
    [failure] = step_events(result, DagsterEventType.STEP_FAILURE, step)
    message = str(failure.event_specific_data.error)
    for phrase in phrases:
        assert phrase in message
    return message


@pytest.mark.parametrize("error, phrase", [("permission", "Permission denied"), ("http403", "403")])
def test_a_permanent_encounter_source_error_fails_at_once(settings, instance, tmp_path, error, phrase):
    source = FailingEncounterSource(source=str(settings.encounters), error=error, counter=str(tmp_path / "calls"))
    fast = with_fast_retry(encounters, "table_io_manager", partition_expr="date")
    result = run([fast], settings, instance, encounter_source=source)
    assert_failed_without_retry(result, "encounters", phrase)
    assert (tmp_path / "calls").read_text() == "1"


def test_a_directory_where_the_day_file_should_be_fails_raw_audio_at_once(settings, instance):
    day_file = archive_path(settings.audio_source, dt.date.fromisoformat(DAY))
    day_file.unlink()
    day_file.mkdir()
    fast = with_fast_retry(raw_audio, "array_io_manager")
    result = run([encounters, fast], settings, instance)
    assert_failed_without_retry(result, "raw_audio", str(day_file), "is a directory")


def test_memory_running_out_while_reading_fails_raw_audio_at_once(settings, instance, tmp_path):
    archive = OutOfMemoryArchiveResource(source=str(settings.audio_source), counter=str(tmp_path / "opens"))
    fast = with_fast_retry(raw_audio, "array_io_manager")
    result = run([encounters, fast], settings, instance, audio_archive=archive)
    assert_failed_without_retry(result, "raw_audio", "MemoryError")
    assert (tmp_path / "opens").read_text() == "1"


def test_a_directory_where_the_day_file_should_be_fails_daily_scores_at_once(settings, instance):
    day_file = archive_path(settings.audio_source, dt.date.fromisoformat(DAY))
    shutil.rmtree(day_file, ignore_errors=True)
    day_file.unlink(missing_ok=True)
    day_file.mkdir()
    fast = with_fast_retry(daily_scores, "table_io_manager", partition_expr="date")
    started = time.monotonic()
    result = run([fast], settings, instance)
    assert_failed_without_retry(result, "daily_scores", str(day_file))
    assert time.monotonic() - started < 60


def test_a_directory_where_the_duckdb_file_should_be_fails_the_table_write_at_once(settings, instance):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.database.mkdir()
    fast = with_fast_retry(encounters, "table_io_manager", partition_expr="date")
    started = time.monotonic()
    result = run([fast], settings, instance)
    assert_failed_without_retry(result, "encounters", str(settings.database))
    assert time.monotonic() - started < 30  # no lock-wait backoff either: it is not a lock


class InterruptedArchiveResource(AudioArchiveResource):
    """Every opened archive is interrupted on read, as a terminated run's step is (SIGTERM)."""

    counter: str

    def open(self):
        from dagster import DagsterExecutionInterruptedError

        next_call(self.counter)
        return _FlakyArchive(super().open(), fail=True, error=DagsterExecutionInterruptedError)


def test_an_interrupted_step_stops_instead_of_waiting_for_a_retry(settings, instance, tmp_path):
    archive = InterruptedArchiveResource(source=str(settings.audio_source), counter=str(tmp_path / "opens"))
    fast = with_fast_retry(raw_audio, "array_io_manager")
    result = run([encounters, fast], settings, instance, audio_archive=archive)
    assert_failed_without_retry(result, "raw_audio", "interrupted")
    assert (tmp_path / "opens").read_text() == "1"
