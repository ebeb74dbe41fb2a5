"""A persistent Dagster instance and a small offline world for the automation tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance, instance_for_test

from whale_assets_tests.support.world import World

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_DAGSTER_YAML = PROJECT_ROOT / "dagster.yaml"


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path / "world")


@pytest.fixture
def instance(tmp_path) -> DagsterInstance:
    """A persistent (SQLite) instance configured by the project's own dagster.yaml."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    overrides = yaml.safe_load(PROJECT_DAGSTER_YAML.read_text())
    with instance_for_test(overrides=overrides, temp_dir=str(home)) as dagster_instance:
        yield dagster_instance
