"""WHALE_CLASSIFIER=served: its variables are checked when the code location loads, and the UI shows its kind."""

from __future__ import annotations

import dataclasses

import pytest

from whale_assets.definitions import CLASSIFIER_KINDS, build_resources, described_assets
from whale_assets.settings import Settings, SettingsError
from whale_assets.sources.model_server import ModelServerAddress, parse_server


def served_env(tmp_path, **extra: str) -> dict[str, str]:
    return {
        "WHALE_DATA_DIR": str(tmp_path),
        "WHALE_ENCOUNTERS": str(tmp_path),
        "WHALE_AUDIO_SOURCE": str(tmp_path),
        "WHALE_CLASSIFIER": "served",
        **extra,
    }


def test_served_settings_reach_the_classifier_resource(tmp_path):
    settings = Settings.from_env(
        served_env(
            tmp_path, WHALE_MODEL_SERVER="grpc://models.internal:9000", WHALE_MODEL_NAME="mn", WHALE_MODEL_VERSION="4"
        )
    )
    assert (settings.model_server, settings.model_name, settings.model_version) == (
        "grpc://models.internal:9000",
        "mn",
        4,
    )
    classifier = build_resources(settings)["classifier"]
    assert (classifier.name, classifier.model_server, classifier.model_name, classifier.model_version) == (
        "served",
        "grpc://models.internal:9000",
        "mn",
        4,
    )


def test_the_model_name_defaults_to_humpback_whale_and_ports_to_tf_servings(tmp_path):
    settings = Settings.from_env(served_env(tmp_path, WHALE_MODEL_SERVER="http://serving"))
    assert (settings.model_server, settings.model_name, settings.model_version) == (
        "http://serving:8501",
        "humpback_whale",
        None,
    )
    assert parse_server("grpc://serving") == ModelServerAddress("grpc", "serving", 8500)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({}, "WHALE_MODEL_SERVER"),
        ({"WHALE_MODEL_SERVER": "serving:8500"}, "WHALE_MODEL_SERVER"),
        ({"WHALE_MODEL_SERVER": "https://"}, "WHALE_MODEL_SERVER"),
        ({"WHALE_MODEL_SERVER": "grpc://serving:8500/v1/models/x"}, "WHALE_MODEL_SERVER"),
        ({"WHALE_MODEL_SERVER": "grpc://serving:8500", "WHALE_MODEL_VERSION": "latest"}, "WHALE_MODEL_VERSION"),
    ],
)
def test_a_bad_served_setting_is_refused_naming_the_variable(tmp_path, extra, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(served_env(tmp_path, **extra))


def test_other_classifiers_ignore_the_served_variables(tmp_path):
    env = {**served_env(tmp_path, WHALE_MODEL_SERVER="not a url"), "WHALE_CLASSIFIER": "energy"}
    assert Settings.from_env(env).model_server is None


def test_the_scoring_assets_show_the_served_kind_instead_of_tensorflow(tmp_path):
    settings = dataclasses.replace(Settings.from_env(served_env(tmp_path, WHALE_MODEL_SERVER="grpc://s")))
    specs = {spec.key.path[-1]: spec for asset in described_assets(settings) for spec in asset.specs}
    for asset in ("classifications", "daily_scores"):
        assert CLASSIFIER_KINDS["served"] in specs[asset].kinds and "tensorflow" not in specs[asset].kinds
