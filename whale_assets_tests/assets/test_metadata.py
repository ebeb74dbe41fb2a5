"""The standard Dagster metadata of every asset: row counts, described schemas, owners, kinds, previews."""

from __future__ import annotations

import base64
import dataclasses
import re

import pytest
from dagster import AssetKey, AssetRecordsFilter, materialize

from whale_assets.assets import ALL_ASSETS, DAY_SCORE_ASSETS, DELIVERABLE_ASSETS
from whale_assets.assets.table_metadata import OWNERS
from whale_assets.core.reports.window_figure import PREVIEW_MAX_BYTES
from whale_assets.definitions import build_resources, described_assets
from whale_assets.storage.metadata_keys import COLUMN_SCHEMA_KEY, PARTITION_ROW_COUNT_KEY
from whale_assets_tests.support.pipeline import DAY, build_song_day, query, run_day

TABLE_ASSETS = [
    "encounters",
    "whale_results",
    "daily_scores",
    "hourly_presence",
    "raven_selections",
    "encounter_clips",
    "diel_presence",
]
MODEL_ASSETS = ("classifications", "daily_scores")
# What describes the run rather than the stored partition.
RUN_KEYS = {"reused", "fingerprint"}


def materializations(instance, asset: str) -> list[dict]:
    """The metadata of each materialization of `asset`'s DAY partition, oldest first."""
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey(asset), asset_partitions=[DAY]), limit=10, ascending=True
    ).records
    return [dict(record.asset_materialization.metadata) for record in records]


def values(metadata: dict) -> dict:
    return {key: getattr(value, "value", value) for key, value in metadata.items()}


def run_everything(settings, instance) -> None:
    assert run_day(settings, instance).success
    others = [asset.key for asset in (*DAY_SCORE_ASSETS, *DELIVERABLE_ASSETS)]
    resources = build_resources(settings)
    assert materialize(ALL_ASSETS, selection=others, partition_key=DAY, resources=resources, instance=instance).success


@pytest.fixture(scope="module")
def song_day(tmp_path_factory):
    """Every asset of the song day materialized twice (the second run reuses every partition)."""
    from dagster import instance_for_test

    from whale_assets_tests.support.world import World

    world = World(tmp_path_factory.mktemp("metadata"))
    build_song_day(world)
    settings = world.settings()
    with instance_for_test() as instance:
        run_everything(settings, instance)
        run_everything(settings, instance)
        yield settings, instance


def test_every_table_partition_has_its_stored_row_count_and_a_described_schema_of_its_columns(song_day):
    settings, instance = song_day
    for asset in TABLE_ASSETS:
        metadata = values(materializations(instance, asset)[0])
        stored = query(settings, f"select * from {asset} where date = '{DAY}'")
        assert metadata[PARTITION_ROW_COUNT_KEY] == len(stored), asset
        columns = metadata[COLUMN_SCHEMA_KEY].columns
        assert [column.name for column in columns] == list(stored.columns), asset
        assert all(column.description for column in columns), asset
    assert values(materializations(instance, "whale_results")[0])[PARTITION_ROW_COUNT_KEY] == 2  # sing, quiet


def test_every_status_count_is_emitted_even_when_zero(song_day):
    _, instance = song_day
    results = values(materializations(instance, "whale_results")[0])
    assert (results["status_ok"], results["status_no_signal"], results["status_no_audio"]) == (1, 1, 0)
    raw = values(materializations(instance, "raw_audio")[0])
    assert raw["windows_no_audio"] == 0 and raw["windows_no_signal"] == 0 and raw["windows_ok"] == raw["windows"]
    sifted = values(materializations(instance, "sifted_audio")[0])
    assert (sifted["windows_ok"], sifted["windows_no_signal"], sifted["windows_no_audio"]) == (1, 1, 0)


def test_a_reused_partition_carries_the_metadata_of_the_stored_one(song_day):
    _, instance = song_day
    for asset in [*TABLE_ASSETS, "raw_audio", "sifted_audio", "classifications"]:
        first, second = (values(m) for m in materializations(instance, asset))
        assert first["reused"] is False and second["reused"] is True, asset
        assert second["fingerprint"] == first["fingerprint"], asset
        copied = {k: v for k, v in second.items() if k not in RUN_KEYS}
        assert copied == {k: v for k, v in first.items() if k not in RUN_KEYS}, asset
        assert PARTITION_ROW_COUNT_KEY in copied or "windows" in copied, asset


def test_the_best_encounters_spectrogram_is_inline_and_every_figure_is_listed(song_day):
    settings, instance = song_day
    metadata = values(materializations(instance, "whale_results")[0])
    stored = query(settings, "select encounter_id, img_path from whale_results")
    assert metadata["figures"] == dict(zip(stored["encounter_id"], stored["img_path"], strict=True))
    assert metadata["best_figure"] == metadata["figures"]["sing"]  # the song has the highest pooled score
    markdown = metadata["best_spectrogram"]
    assert markdown.startswith("encounter sing")
    [encoded] = re.findall(r"!\[best\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", markdown)
    png = base64.b64decode(encoded)
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) <= PREVIEW_MAX_BYTES


def test_the_classifier_is_on_each_scored_materialization(song_day):
    _, instance = song_day
    for asset in MODEL_ASSETS:
        assert values(materializations(instance, asset)[0])["classifier"] == "energy", asset


@pytest.mark.parametrize(("classifier", "kind"), [("energy", "scipy"), ("humpback", "tensorflow")])
def test_the_scoring_assets_show_the_configured_classifiers_kind(world, classifier, kind):
    specs = {spec.key.path[-1]: spec for asset in described_assets(world.settings(classifier)) for spec in asset.specs}
    for asset in MODEL_ASSETS:
        assert kind in specs[asset].kinds and not ({"scipy", "tensorflow"} - {kind}) & specs[asset].kinds, asset
    declared = {spec.key.path[-1]: spec.kinds for asset in ALL_ASSETS for spec in asset.specs}
    for asset in set(specs) - set(MODEL_ASSETS):
        assert specs[asset].kinds == declared[asset], asset  # e.g. sifted_audio keeps its scipy
    for spec in specs.values():
        assert list(spec.owners) == OWNERS and spec.tags["domain"] == "bioacoustics"
        assert "dagster/code_references" in spec.metadata
    assert "duckdb" in specs["whale_results"].kinds


def test_tables_stored_in_s3_show_parquet_and_s3_instead_of_duckdb(world):
    settings = dataclasses.replace(world.settings(), storage="s3")
    specs = {spec.key.path[-1]: spec for asset in described_assets(settings) for spec in asset.specs}
    for asset in TABLE_ASSETS:
        assert {"parquet", "s3"} <= specs[asset].kinds and "duckdb" not in specs[asset].kinds, asset
    assert specs["raw_audio"].kinds == {"numpy"}
