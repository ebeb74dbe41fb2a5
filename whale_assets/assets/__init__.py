"""The daily asset graph: encounters -> raw_audio -> sifted_audio -> classifications -> whale_results,
the full-day branch daily_scores -> hourly_presence, and the deliverables built on them
(raven_selections, encounter_clips, diel_presence)."""

from whale_assets.assets.classifications import classifications
from whale_assets.assets.daily_scores import daily_scores
from whale_assets.assets.diel_presence import diel_presence
from whale_assets.assets.encounter_clips import encounter_clips
from whale_assets.assets.encounters import encounters
from whale_assets.assets.hourly_presence import hourly_presence
from whale_assets.assets.raven_selections import raven_selections
from whale_assets.assets.raw_audio import raw_audio
from whale_assets.assets.reviews import detector_performance, reviewed_detections
from whale_assets.assets.sifted_audio import sifted_audio
from whale_assets.assets.whale_results import whale_results

PIPELINE_ASSETS = [encounters, raw_audio, sifted_audio, classifications, whale_results]
DAY_SCORE_ASSETS = [daily_scores, hourly_presence]
# Files acousticians exchange, built from the stored pipeline partitions (the `deliverables` job).
DELIVERABLE_ASSETS = [raven_selections, encounter_clips, diel_presence]
# Analysts' verdicts read back, and the detector's precision they give (see assets/reviews.py).
REVIEW_ASSETS = [reviewed_detections, detector_performance]
ALL_ASSETS = [*PIPELINE_ASSETS, *DAY_SCORE_ASSETS, *DELIVERABLE_ASSETS, *REVIEW_ASSETS]
