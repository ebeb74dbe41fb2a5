"""Each transient status is retried and scoring then succeeds; a refused request is not retried."""

from __future__ import annotations

import numpy as np
import pytest

from whale_assets.sources.model_server import (
    Backoff,
    ModelServerError,
    ServedModelSpec,
    load_served_model,
    parse_server,
)
from whale_assets_tests.sources.model_server.mars_audio import mars_noise
from whale_assets_tests.support.model_server import HTTP_STATUS

QUICK = Backoff(attempts=3, first_delay_s=0.01)


@pytest.mark.parametrize(
    ("api", "code"),
    [
        ("grpc", "DEADLINE_EXCEEDED"),
        ("grpc", "RESOURCE_EXHAUSTED"),
        ("rest", "RESOURCE_EXHAUSTED"),
        ("rest", "UNAVAILABLE"),
    ],
    ids=["grpc-DEADLINE_EXCEEDED", "grpc-RESOURCE_EXHAUSTED", "rest-HTTP-429", "rest-HTTP-503"],
)
def test_a_transient_failure_is_retried_then_scoring_succeeds(request, api: str, code: str, faults) -> None:
    url = request.getfixturevalue(f"{api}_url")
    if api == "rest":
        assert HTTP_STATUS[code] in (429, 503)  # what the client sees over REST
    model = load_served_model(ServedModelSpec(parse_server(url)), backoff=QUICK)
    audio = mars_noise(10, seed=len(code))  # 7 windows: one request
    expected = model.score(audio)
    before = faults.requests["score"]
    faults.fail_next(code, signature="score")

    scores = model.score(audio)

    np.testing.assert_array_equal(scores, expected)
    assert faults.requests["score"] == before + 2 and not faults.pending  # one request, failed once, sent again


@pytest.mark.parametrize("api", ["grpc", "rest"])
def test_an_invalid_argument_fails_at_once_without_a_retry(request, api: str, faults) -> None:
    url = request.getfixturevalue(f"{api}_url")
    model = load_served_model(ServedModelSpec(parse_server(url)), backoff=QUICK)
    before = faults.requests["score"]
    faults.fail_next("INVALID_ARGUMENT", signature="score")

    with pytest.raises(ModelServerError) as caught:
        model.score(mars_noise(10, seed=4))

    assert not caught.value.transient and "INVALID_ARGUMENT" in str(caught.value)
    assert api == "grpc" or "HTTP 400" in str(caught.value)
    assert faults.requests["score"] == before + 1 and not faults.pending
