"""Provenance: the settings behind a row, read from the upstream partitions, and what changed since."""

import pandas as pd

from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.core.tables.provenance import (
    PROVENANCE_DTYPES,
    Provenance,
    changed_settings,
    upstream_provenance,
    with_provenance,
)


def test_upstream_attributes_become_the_rows_settings():
    made_by = upstream_provenance(
        "run-7",
        {"margin_s": 1800},
        {"mode": "max_relative", "lowcut_hz": 100, "highcut_hz": 3000, "order": 4},
        {"model": "energy", "score_source": "daily_scores"},
        DetectionRule(0.6, 5),
    )
    assert made_by == Provenance("run-7", 1800.0, "max_relative", 100.0, 3000.0, "energy", "daily_scores", 0.6, 5)
    assert "run_id" not in made_by.settings() and made_by.settings()["margin_s"] == 1800.0


def test_partitions_stored_before_the_attributes_existed_give_nulls_and_model_scores():
    made_by = upstream_provenance("run-7", {}, {}, {"model": "energy"}, DetectionRule(0.5, 5))
    assert made_by.margin_s is None and made_by.sift_mode is None and made_by.score_source == "model"
    assert upstream_provenance("r", {}, {}, {}, DetectionRule(0.5, 5)).score_source is None


def test_provenance_columns_have_stable_types_with_and_without_rows():
    rows = with_provenance(pd.DataFrame({"x": [1, 2]}), Provenance(run_id="r", margin_s=300.0, median_filter_windows=5))
    empty = with_provenance(pd.DataFrame({"x": []}), Provenance())
    assert list(rows.columns) == ["x", *PROVENANCE_DTYPES]
    assert rows.dtypes[1:].to_dict() == empty.dtypes[1:].to_dict()
    assert rows["run_id"].tolist() == ["r", "r"] and rows["threshold"].isna().all()


def test_changed_settings_name_each_setting_that_differs_with_before_and_after():
    before = Provenance(margin_s=300.0, threshold=0.5, classifier="energy").settings()
    after = Provenance(margin_s=1800.0, threshold=0.5, classifier="energy").settings()
    assert changed_settings(before, after) == {"margin_s": {"before": 300.0, "after": 1800.0}}
    assert changed_settings(after, after) == {} and changed_settings(None, after) == {}
