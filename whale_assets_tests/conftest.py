"""Fixtures shared across the test layers."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def humpback_savedmodel_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stand-in humpback SavedModel (real signatures and timing), built once per session."""
    from whale_assets_tests.support.humpback_savedmodel import build_humpback_savedmodel

    return build_humpback_savedmodel(tmp_path_factory.mktemp("humpback_model") / "savedmodel")
