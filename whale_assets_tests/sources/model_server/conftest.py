"""The stand-in TF Serving over gRPC and REST, serving the stand-in humpback SavedModel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from whale_assets_tests.support.model_server import running_grpc_model_server, running_rest_model_server
from whale_assets_tests.support.servable import Faults


@pytest.fixture(scope="module")
def faults() -> Faults:
    return Faults()


@pytest.fixture(scope="module")
def grpc_url(humpback_savedmodel_dir: Path, faults: Faults) -> Iterator[str]:
    with running_grpc_model_server(humpback_savedmodel_dir, faults=faults) as url:
        yield url


@pytest.fixture(scope="module")
def rest_url(humpback_savedmodel_dir: Path, faults: Faults) -> Iterator[str]:
    with running_rest_model_server(humpback_savedmodel_dir, faults=faults) as url:
        yield url


@pytest.fixture(params=["grpc", "rest"])
def server_url(request: pytest.FixtureRequest) -> str:
    """Each test taking it runs against both APIs."""
    return request.getfixturevalue(f"{request.param}_url")
