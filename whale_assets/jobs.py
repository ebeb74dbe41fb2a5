"""The jobs: the daily pipeline (what the sensor and schedule run) and the full-day scoring branch.

Each is partitioned like the assets it selects (the daily partitions). Their sizing tags are the
ones the configured run launcher reads (`deploy_tags.py`), decided once when the code loads.
"""

from dagster import AssetSelection, define_asset_job

from whale_assets.assets import (
    DAY_SCORE_ASSETS,
    PIPELINE_ASSETS,
    diel_presence,
    encounter_clips,
    raven_selections,
    reviewed_detections,
)
from whale_assets.assets.freshness import FRESHNESS_CHECKS
from whale_assets.deploy_tags import FULL_DAY_RUN, PIPELINE_RUN, RunLauncherKind, configured_run_launcher

# The freshness check asks about the newest day, whatever day a run writes: its sensor runs it.
PIPELINE_SELECTION = AssetSelection.assets(*PIPELINE_ASSETS) - AssetSelection.checks(*FRESHNESS_CHECKS)


def build_jobs(launcher: RunLauncherKind) -> list:
    """whale_pipeline, full_day_scoring, deliverables and reviews (unresolved asset jobs), sized for `launcher`."""
    whale_pipeline = define_asset_job("whale_pipeline", selection=PIPELINE_SELECTION, tags=PIPELINE_RUN.tags(launcher))
    # diel_presence runs with each scored day, so the cumulative heatmap follows the days as they arrive.
    full_day_scoring = define_asset_job(
        "full_day_scoring", selection=[*DAY_SCORE_ASSETS, diel_presence], tags=FULL_DAY_RUN.tags(launcher)
    )
    # Separate from whale_pipeline: deliverables are re-made from stored partitions (other
    # thresholds, clip lengths) without re-running the pipeline, and a failing file write never
    # fails a pipeline run. diel_presence needs the day's hourly_presence, so it runs in
    # full_day_scoring, not here. No size: the launcher's default.
    deliverables = define_asset_job("deliverables", selection=[raven_selections, encounter_clips])
    # Analysts' verdicts of one day (the review sensor's job); detector_performance follows by automation.
    reviews = define_asset_job("reviews", selection=[reviewed_detections])
    return [whale_pipeline, full_day_scoring, deliverables, reviews]


JOBS = build_jobs(configured_run_launcher())
whale_pipeline_job, full_day_scoring_job, deliverables_job, reviews_job = JOBS
