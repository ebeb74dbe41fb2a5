"""A day of whale_results not materialized by its deadline shows as a stale (WARN) freshness check."""

from __future__ import annotations

import datetime as dt

from dagster import (
    AssetCheckSeverity,
    AssetMaterialization,
    AssetSelection,
    AssetSpec,
    Definitions,
    define_asset_job,
)

from whale_assets.assets.freshness import FRESHNESS_CHECKS
from whale_assets.assets.partitions import daily_partitions


def evaluate_freshness(instance):
    job = define_asset_job("freshness", selection=AssetSelection.checks(*FRESHNESS_CHECKS))
    defs = Definitions(
        assets=[AssetSpec("whale_results", partitions_def=daily_partitions)], asset_checks=FRESHNESS_CHECKS, jobs=[job]
    )
    [evaluation] = defs.resolve_job_def("freshness").execute_in_process(instance=instance).get_asset_check_evaluations()
    return evaluation


def test_the_last_completed_day_missing_at_the_deadline_is_stale_and_passes_once_materialized(instance):
    stale = evaluate_freshness(instance)
    assert (stale.passed, stale.severity) == (False, AssetCheckSeverity.WARN)

    # The day the deadline asks for: the one ending before the last 06:00 UTC (one of these two,
    # whichever side of 06:00 this runs on).
    today = dt.datetime.now(dt.timezone.utc).date()
    for days_ago in (1, 2):
        day = (today - dt.timedelta(days=days_ago)).isoformat()
        instance.report_runless_asset_event(AssetMaterialization("whale_results", partition=day))
    assert evaluate_freshness(instance).passed
