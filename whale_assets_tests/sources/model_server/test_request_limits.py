"""The client keeps at most `concurrency` requests in flight, each within `max_request_samples`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.model_batches import plan_model_batches
from whale_assets.sources.model_server import ServedModelSpec, load_served_model, parse_server
from whale_assets_tests.sources.model_server.mars_audio import mars_noise

GRID = WindowGrid.for_step(10_000)


@pytest.fixture
def observed(faults) -> Iterator:
    faults.reset_observations()
    yield faults
    faults.reset_observations()


@pytest.mark.parametrize("concurrency", [1, 2])
def test_requests_in_flight_never_exceed_the_concurrency_setting(server_url: str, observed, concurrency: int) -> None:
    chunk = GRID.samples_for_windows(7)
    model = load_served_model(
        ServedModelSpec(parse_server(server_url)), chunk_windows=7, max_request_samples=chunk, concurrency=concurrency
    )
    observed.reset_observations()
    observed.delay_s = 0.15  # each Predict lasts long enough for the client's next ones to arrive meanwhile
    before = observed.requests["score"]

    scores = model.score(mars_noise(60, seed=concurrency))

    requests = len(list(plan_model_batches(GRID, 600_000, 7, 1)))  # 57 windows: 8 chunks of 7 and a tail of 1
    assert scores.size == GRID.n_windows(600_000) and observed.requests["score"] - before == requests == 9
    assert observed.max_in_flight == concurrency  # bounded by the setting, and the setting is used


@pytest.mark.parametrize(
    ("chunk_windows", "max_request_samples"), [(16, 800_000), (7, 3 * GRID.samples_for_windows(7) + 1)]
)
def test_each_request_stays_within_the_request_size_limit(
    server_url: str, observed, chunk_windows: int, max_request_samples: int
) -> None:
    model = load_served_model(
        ServedModelSpec(parse_server(server_url)), chunk_windows=chunk_windows, max_request_samples=max_request_samples
    )
    observed.reset_observations()

    model.score(mars_noise(150, seed=chunk_windows))

    chunk = GRID.samples_for_windows(chunk_windows)
    assert observed.largest_waveform_samples <= max_request_samples
    assert observed.largest_waveform_samples == (max_request_samples // chunk) * chunk  # full requests are used
