"""The jobs: the daily pipeline (what the sensor and schedule run) and the full-day scoring branch.

Each is partitioned like the assets it selects (the daily partitions).
"""

from dagster import define_asset_job

from whale_assets.assets import (
    DAY_SCORE_ASSETS,
    PIPELINE_ASSETS,
    diel_presence,
    encounter_clips,
    raven_selections,
    reviewed_detections,
)
from whale_assets.deploy_tags import FULL_DAY_RUN, PIPELINE_RUN

# The tags size each run's pod (Kubernetes) or task (ECS); the default run launcher ignores them.
whale_pipeline_job = define_asset_job(
    "whale_pipeline", selection=PIPELINE_ASSETS, tags=PIPELINE_RUN.tags()
)
# diel_presence runs with each scored day, so the cumulative heatmap follows the days as they arrive.
full_day_scoring_job = define_asset_job(
    "full_day_scoring",
    selection=[*DAY_SCORE_ASSETS, diel_presence],
    tags=FULL_DAY_RUN.tags(),
)
# Separate from whale_pipeline: deliverables are re-made from stored partitions (other thresholds,
# clip lengths) without re-running the pipeline, and a failing file write never fails a pipeline run.
# diel_presence needs the day's hourly_presence, so it runs in full_day_scoring, not here.
deliverables_job = define_asset_job("deliverables", selection=[raven_selections, encounter_clips])
# Analysts' verdicts of one day (the review sensor's job); detector_performance follows by automation.
reviews_job = define_asset_job("reviews", selection=[reviewed_detections])
JOBS = [whale_pipeline_job, full_day_scoring_job, deliverables_job, reviews_job]
