"""The project's dagster.yaml really sets the run queue and the pool limits the assets rely on."""

from __future__ import annotations

from whale_assets.assets import PIPELINE_ASSETS
from whale_assets.assets.policies import DUCKDB_WRITERS, MODEL_SCORING
from whale_assets.settings import DEFAULT_STALE_RUN_HOURS


def test_the_run_queue_allows_two_runs_at_a_time(instance):
    queue = instance.get_concurrency_config().run_queue_config
    assert queue is not None, "runs must go through the queued run coordinator"
    assert queue.max_concurrent_runs == 2


def test_every_pool_gets_one_slot_at_op_granularity(instance):
    pools = instance.get_concurrency_config().pool_config
    assert pools.default_pool_limit == 1
    assert pools.pool_granularity.value == "op"
    for pool in (DUCKDB_WRITERS, MODEL_SCORING):
        instance.event_log_storage.initialize_concurrency_limit_to_default(pool)  # what a run's first claim does
        info = instance.event_log_storage.get_concurrency_info(pool)
        assert (info.slot_count, info.limit) == (1, 1), pool


def test_the_duckdb_writers_and_the_model_are_in_their_pools():
    pools = {spec.key.path[-1]: a.op.pool for a in PIPELINE_ASSETS for spec in a.specs}
    assert pools["encounters"] == DUCKDB_WRITERS
    assert pools["whale_results"] == DUCKDB_WRITERS
    assert pools["classifications"] == MODEL_SCORING


def test_run_monitoring_ends_killed_runs_and_frees_their_pool_slots(instance):
    """Issue 14, finding 14: without monitoring a SIGKILLed run stays STARTED and blocks its day forever."""
    settings = instance.run_monitoring_settings
    assert instance.run_monitoring_enabled
    assert 0 < instance.run_monitoring_start_timeout_seconds <= 600
    # Above any real run (a day's pipeline takes minutes, full-day scoring well under an hour) and
    # below the sensor's own stale-run limit, so the daemon acts first where it can.
    assert 2 * 3600 <= instance.run_monitoring_max_runtime_seconds < DEFAULT_STALE_RUN_HOURS * 3600
    assert 0 < settings["poll_interval_seconds"] <= 300
    assert settings["free_slots_after_run_end_seconds"] > 0  # a killed run's pool slot comes back


def test_the_run_launcher_checks_its_workers_so_monitoring_finds_a_killed_run_at_the_next_poll(instance):
    """Issue 23, finding 1: with the plain DefaultRunLauncher only the 6 h limit ended a killed run."""
    assert type(instance.run_launcher).__name__ == "SameHostRunLauncher"
    assert instance.run_launcher.supports_check_run_worker_health
    settings = instance.run_monitoring_settings
    assert settings["poll_interval_seconds"] <= 60
    assert settings["free_slots_after_run_end_seconds"] <= 60
    assert instance.run_monitoring_max_resume_run_attempts == 0  # the launcher cannot resume a run


def test_a_run_failed_by_a_dead_worker_is_retried_once_and_a_failing_step_is_not(instance):
    assert instance.run_retries_enabled
    assert instance.run_retries_max_retries == 1
    assert not instance.run_retries_retry_on_asset_or_op_failure


def test_the_run_queue_lets_one_run_per_day_run_at_a_time(instance):
    """Issue 23, finding 2: two runs of one day rewrote each other's arrays mid-run."""
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
