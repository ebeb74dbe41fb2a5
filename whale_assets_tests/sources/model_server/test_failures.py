"""Transient server failures are retried with backoff; a wrong model or signature fails at once, saying what to fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from whale_assets.io_rules.errors import is_transient
from whale_assets.sources.model_server import (
    Backoff,
    ModelServerError,
    ServedModelSpec,
    load_served_model,
    parse_server,
)
from whale_assets.sources.model_server.retry import with_retries
from whale_assets_tests.support.model_server import running_grpc_model_server, running_rest_model_server

QUICK = Backoff(attempts=3, first_delay_s=0.01)


def test_an_unavailable_server_answer_is_retried_then_scoring_succeeds(server_url: str, faults) -> None:
    model = load_served_model(ServedModelSpec(parse_server(server_url)), backoff=QUICK)
    audio = np.full(40 * 10_000, -0.0034, np.float32) + np.random.default_rng(3).normal(0, 8e-5, 400_000).astype(
        np.float32
    )
    expected = model.score(audio)
    before = faults.requests["score"]
    faults.fail_next("UNAVAILABLE", signature="score")

    scores = model.score(audio)

    np.testing.assert_array_equal(scores, expected)
    assert (
        faults.requests["score"] == before + 3
    )  # 37 windows: 2 chunks + a ragged tail of 5 = 2 requests, one failed once
    assert not faults.pending


def test_a_server_that_stays_unavailable_fails_as_transient_after_the_attempts(grpc_url: str, faults) -> None:
    model = load_served_model(ServedModelSpec(parse_server(grpc_url)), backoff=QUICK)
    faults.fail_next("UNAVAILABLE", times=3, signature="score")
    with pytest.raises(ModelServerError, match="gave up after 3 attempts") as caught:
        model.score(np.zeros(50_000, np.float32))
    assert caught.value.transient and is_transient(caught.value)  # Dagster's retry policy may try again later
    assert not faults.pending


def test_a_refused_connection_is_transient() -> None:
    sleeps: list[float] = []
    spec = ServedModelSpec(parse_server("http://127.0.0.1:9"))  # the discard port: nothing listens
    from whale_assets.sources.model_server.rest_transport import RestTransport

    transport = RestTransport(spec, connect_s=1, read_s=1)
    with pytest.raises(ModelServerError) as caught:
        with_retries(
            lambda: transport.predict("metadata", {}, ("x",)), Backoff(attempts=3, first_delay_s=0.5), sleeps.append
        )
    assert caught.value.transient and len(sleeps) == 2 and 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


def test_a_wrong_model_name_fails_at_once_naming_server_model_and_the_variable(server_url: str, faults) -> None:
    before = sum(faults.requests.values()) + faults.metadata_requests
    with pytest.raises(ModelServerError) as caught:
        load_served_model(ServedModelSpec(parse_server(server_url), name="humpback"), backoff=QUICK)
    message = str(caught.value)
    assert not caught.value.transient and not is_transient(caught.value)
    assert server_url in message and "'humpback'" in message and "NOT_FOUND" in message
    assert "WHALE_MODEL_NAME" in message
    # The metadata request (Predict on `metadata` over gRPC, GET .../metadata over REST), not retried.
    assert sum(faults.requests.values()) + faults.metadata_requests == before + 1


def test_a_version_the_server_lacks_fails_at_once(server_url: str) -> None:
    with pytest.raises(ModelServerError, match="version 7.*NOT_FOUND.*WHALE_MODEL_VERSION") as caught:
        load_served_model(ServedModelSpec(parse_server(server_url), version=7), backoff=QUICK)
    assert not caught.value.transient


@pytest.fixture(scope="module")
def default_signature_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stand-in model exported with its score function as `serving_default`, a common export mistake."""
    import tensorflow as tf

    from whale_assets_tests.support.humpback_savedmodel import _build_module

    module = _build_module()
    directory = tmp_path_factory.mktemp("default_signature") / "humpback_whale" / "1"
    tf.saved_model.save(
        module, str(directory), signatures={"serving_default": module.score, "metadata": module.metadata}
    )
    return directory.parent


@pytest.mark.parametrize(
    ("running", "server_says"),
    [
        (running_grpc_model_server, 'Serving signature key "score" not found'),  # the Predict on `score` fails
        (running_rest_model_server, "it serves ['metadata', 'serving_default']"),  # from the signature defs
    ],
)
def test_a_model_without_the_score_signature_fails_at_load_naming_it(
    default_signature_model: Path, running, server_says
) -> None:
    with running(default_signature_model) as url:
        with pytest.raises(ModelServerError) as caught:
            load_served_model(ServedModelSpec(parse_server(url)), backoff=QUICK)
    message = str(caught.value)
    assert not caught.value.transient
    assert "signature 'score'" in message and server_says in message
    assert "signatures 'score' and 'metadata'" in message  # what to serve instead
