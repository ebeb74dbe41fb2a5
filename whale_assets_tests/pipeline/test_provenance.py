"""Every result row says how it was made: run id and settings in SQL, what changed in the metadata."""

from __future__ import annotations

import importlib

import duckdb
import pytest
from dagster import AssetKey

from whale_assets.assets.provenance import SETTINGS_CHANGED_KEY, SETTINGS_KEY
from whale_assets.core.tables.provenance import PROVENANCE_DTYPES
from whale_assets_tests.support.pipeline import TEST_MARGIN_S, build_song_day, query, run_day


def _metadata(result, asset: str) -> dict:
    [event] = [e for e in result.get_asset_materialization_events() if e.asset_key == AssetKey(asset)]
    return {key: value.value for key, value in event.event_specific_data.materialization.metadata.items()}


@pytest.mark.slow
def test_a_day_recomputed_with_other_settings_shows_them_in_sql_and_names_them_in_its_metadata(world, instance):
    build_song_day(world)
    settings = world.settings()
    first = run_day(settings, instance)
    rows = query(
        settings,
        "select run_id, margin_s, threshold, median_filter_windows, sift_mode, sift_lowcut_hz, "
        "sift_highcut_hz, classifier, score_source, pooling from whale_results",
    )
    assert set(rows["run_id"]) == {first.run_id} and set(rows["margin_s"]) == {TEST_MARGIN_S}
    assert set(rows["threshold"]) == {0.5} and set(rows["median_filter_windows"]) == {5}
    assert set(rows["sift_mode"]) == {"noise_floor"} and set(rows["sift_lowcut_hz"]) == {100.0}
    assert set(rows["classifier"]) == {"energy"} and set(rows["score_source"]) == {"model"}
    assert set(rows["pooling"]) == {"mean"}
    assert _metadata(first, "whale_results")[SETTINGS_CHANGED_KEY] == {}

    second = run_day(settings, instance, raw_audio={"margin_s": 120.0}, whale_results={"threshold": 0.6})
    rows = query(settings, "select run_id, margin_s, threshold from whale_results")
    assert set(rows["run_id"]) == {second.run_id} and set(rows["margin_s"]) == {120.0}
    assert set(rows["threshold"]) == {0.6}
    metadata = _metadata(second, "whale_results")
    assert metadata[SETTINGS_CHANGED_KEY] == {
        "margin_s": {"before": TEST_MARGIN_S, "after": 120.0},
        "threshold": {"before": 0.5, "after": 0.6},
    }
    assert metadata[SETTINGS_KEY]["margin_s"] == 120.0


@pytest.mark.slow
def test_a_day_stored_before_the_provenance_columns_is_recomputed_once_and_gains_them(world, instance, monkeypatch):
    build_song_day(world)
    settings = world.settings()
    # What the code before provenance stored: another row layout in the fingerprint, no provenance columns.
    module = importlib.import_module("whale_assets.assets.whale_results")  # the package exports the asset by this name
    monkeypatch.setattr(module, "RESULTS_LAYOUT", 1)
    run_day(settings, instance)
    with duckdb.connect(str(settings.database)) as connection:
        for column in PROVENANCE_DTYPES:
            connection.execute(f'alter table whale_results drop column "{column}"')
    assert "run_id" not in query(settings, "select * from whale_results").columns  # still readable
    monkeypatch.undo()

    again = run_day(settings, instance)
    flags = {
        e.asset_key.path[-1]: e.event_specific_data.materialization.metadata["reused"].value
        for e in again.get_asset_materialization_events()
    }
    assert flags["classifications"] is True and flags["whale_results"] is False
    rows = query(settings, "select run_id, margin_s, threshold from whale_results")
    assert set(rows["run_id"]) == {again.run_id} and set(rows["margin_s"]) == {TEST_MARGIN_S}
    assert _metadata(again, "whale_results")[SETTINGS_CHANGED_KEY] == {}  # the settings are the same
