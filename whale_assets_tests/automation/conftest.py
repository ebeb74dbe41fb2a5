"""A persistent Dagster instance and a small offline world for the automation tests."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance

from whale_assets_tests.support.instance import project_instance
from whale_assets_tests.support.world import World


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path / "world")


@pytest.fixture
def instance(tmp_path) -> DagsterInstance:
    """A persistent (SQLite) instance configured by the project's own dagster.yaml."""
    with project_instance(tmp_path / "dagster_home") as dagster_instance:
        yield dagster_instance
