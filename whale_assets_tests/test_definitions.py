"""The code location (`whale_assets.definitions`) as `dagster dev` loads it."""

from __future__ import annotations

import importlib
import subprocess
import sys
from itertools import pairwise

import pytest
from dagster import AssetKey

PIPELINE = ["encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"]
FULL_DAY = ["daily_scores", "hourly_presence"]
# Each deliverable and the stored asset it is built from.
DELIVERABLES = {
    "raven_selections": "classifications",
    "encounter_clips": "raw_audio",
    "diel_presence": "hourly_presence",
}
# Analysts' verdicts (daily) and the detector performance over every reviewed day (unpartitioned).
REVIEWS = {"reviewed_detections": "raven_selections", "detector_performance": "reviewed_detections"}


def load_defs(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("WHALE_DATA_DIR", str(tmp_path / "data"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import whale_assets.definitions as definitions

    return importlib.reload(definitions).defs


def test_the_code_location_has_the_daily_partitioned_assets_in_pipeline_order(monkeypatch, tmp_path):
    defs = load_defs(monkeypatch, tmp_path)
    graph = defs.resolve_asset_graph()
    assert {key.path[-1] for key in graph.get_all_asset_keys()} == set(PIPELINE + FULL_DAY) | set(DELIVERABLES) | set(
        REVIEWS
    )
    for chain in (PIPELINE, FULL_DAY):
        for upstream, downstream in pairwise(chain):
            assert AssetKey(upstream) in graph.get(AssetKey(downstream)).parent_keys
    for deliverable, source in {**DELIVERABLES, **REVIEWS}.items():
        assert AssetKey(source) in graph.get(AssetKey(deliverable)).parent_keys
    for key in graph.get_all_asset_keys():
        if key != AssetKey("detector_performance"):  # one table over every reviewed day
            assert defs.resolve_assets_def(key).partitions_def.get_first_partition_key() == "2015-07-01"
    assert defs.resolve_job_def("whale_pipeline") is not None
    assert defs.resolve_job_def("full_day_scoring") is not None
    assert defs.resolve_job_def("deliverables") is not None


def test_an_unknown_setting_fails_at_load_listing_the_valid_values(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="humpback, energy"):
        load_defs(monkeypatch, tmp_path, WHALE_CLASSIFIER="svm")


def test_loading_the_code_location_does_not_import_tensorflow(tmp_path):
    code = "import sys, whale_assets.definitions; print('tensorflow' in sys.modules)"
    env = {"WHALE_DATA_DIR": str(tmp_path), "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


def test_the_dagster_cli_lists_the_assets_from_the_repository_root(tmp_path):
    env = {"WHALE_DATA_DIR": str(tmp_path), "PATH": ""}
    dagster = [sys.executable, "-m", "dagster", "asset", "list", "-m", "whale_assets.definitions"]
    out = subprocess.run(dagster, capture_output=True, text=True, env=env, check=True)
    assert set(out.stdout.split()) >= set(PIPELINE + FULL_DAY)
