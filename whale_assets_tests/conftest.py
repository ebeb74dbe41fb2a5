"""Fixtures shared across the test layers (the helpers they use live in `whale_assets_tests/support/`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported in the fixtures, so the pure core's tests never load Dagster
    from dagster import DagsterInstance

    from whale_assets_tests.support.world import World


@pytest.fixture(scope="session")
def humpback_savedmodel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in humpback SavedModel (real signatures and timing), built once per session."""
    from whale_assets_tests.support.humpback_savedmodel import build_humpback_savedmodel

    return build_humpback_savedmodel(tmp_path_factory.mktemp("humpback_model") / "savedmodel")


@pytest.fixture(scope="session")
def trained_savedmodel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small trained stand-in SavedModel (real signatures, scores spread over 0-1), built once per session."""
    from whale_assets_tests.support.trained_savedmodel import build_trained_savedmodel

    return build_trained_savedmodel(tmp_path_factory.mktemp("trained_model") / "savedmodel")


@pytest.fixture
def world(tmp_path) -> World:
    """An empty offline world (CSV exports, sparse local archive) under the test's tmp_path."""
    from whale_assets_tests.support.world import World

    return World(tmp_path)


@pytest.fixture
def instance() -> DagsterInstance:
    """A throwaway Dagster instance (`automation/` overrides it with the project's dagster.yaml)."""
    from dagster import instance_for_test

    with instance_for_test() as dagster_instance:
        yield dagster_instance


@pytest.fixture(scope="session")
def session_demo(tmp_path_factory: pytest.TempPathFactory):
    """`whale-assets demo` once per session (about a minute): the demo test and the tour test share it."""
    from whale_assets_tests.support.demo_run import run_demo

    return run_demo(tmp_path_factory.mktemp("checkout"))
