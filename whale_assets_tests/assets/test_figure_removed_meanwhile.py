"""whale_results' metadata when another instance's run of the day removed the best figure meanwhile (issue 23, finding 2).

Two instances on one data dir share no pool, so one run's orphan clean-up can remove the figures
the other just wrote; reading the best one back for the inline preview then failed the run.
"""

from __future__ import annotations

import pandas as pd
import pytest

from whale_assets.assets.whale_results import BEST_SPECTROGRAM_KEY, FIGURES_KEY, _figure_metadata
from whale_assets.resources import FileStore

pytestmark = pytest.mark.faults


def test_a_best_figure_removed_meanwhile_leaves_the_paths_listed_without_a_preview(tmp_path):
    images = FileStore(base_path=str(tmp_path / "images"))
    gone = str(tmp_path / "images" / "2023-09-14" / "sing.0123456789.png")
    results = pd.DataFrame({"encounter_id": ["sing"], "img_path": [gone], "pooled_score": [0.9]})
    metadata = _figure_metadata(results, images, "2023-09-14")
    assert metadata[FIGURES_KEY].value == {"sing": gone}
    assert BEST_SPECTROGRAM_KEY not in metadata
