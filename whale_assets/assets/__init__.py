"""The daily asset graph: encounters -> raw_audio -> sifted_audio -> classifications -> whale_results."""

from whale_assets.assets.classifications import classifications
from whale_assets.assets.encounters import encounters
from whale_assets.assets.raw_audio import raw_audio
from whale_assets.assets.sifted_audio import sifted_audio
from whale_assets.assets.whale_results import whale_results

PIPELINE_ASSETS = [encounters, raw_audio, sifted_audio, classifications, whale_results]
ALL_ASSETS = [*PIPELINE_ASSETS]
