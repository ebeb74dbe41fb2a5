"""A silent endpoint fails reads in bounded time (timeouts x attempts), naming the endpoint."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from whale_assets.io_rules.errors import is_transient
from whale_assets.io_rules.network import NetworkTimeouts, network_timeouts_from_env
from whale_assets.sources.audio_archive import AudioArchive
from whale_assets.sources.happywhale import default_request_timeout
from whale_assets_tests.support.blackhole import blackhole_endpoint
from whale_assets_tests.support.s3_server import FAKE_CREDENTIALS

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

SHORT = {"WHALE_CONNECT_TIMEOUT_S": "1", "WHALE_READ_TIMEOUT_S": "1", "WHALE_NETWORK_ATTEMPTS": "2"}
# Two attempts of one second each, botocore's backoff between them (< 1 s for the first retry), slack.
BOUND_S = 8.0


@pytest.fixture
def short_timeouts(monkeypatch):
    for name, value in {**FAKE_CREDENTIALS, **SHORT}.items():
        monkeypatch.setenv(name, value)


def test_the_defaults_and_the_variables():
    assert network_timeouts_from_env({}) == NetworkTimeouts(connect_s=10.0, read_s=60.0, attempts=3)
    assert network_timeouts_from_env(SHORT) == NetworkTimeouts(connect_s=1.0, read_s=1.0, attempts=2)
    with pytest.raises(ValueError, match="WHALE_READ_TIMEOUT_S='soon'.*seconds above 0"):
        network_timeouts_from_env({"WHALE_READ_TIMEOUT_S": "soon"})
    with pytest.raises(ValueError, match="WHALE_NETWORK_ATTEMPTS='0'"):
        network_timeouts_from_env({"WHALE_NETWORK_ATTEMPTS": "0"})


def test_an_archive_read_from_a_silent_s3_endpoint_fails_in_bounded_time_naming_it(short_timeouts):
    with blackhole_endpoint() as endpoint:
        archive = AudioArchive("s3://whale-archive/mirror", endpoint_url=endpoint)
        started = time.monotonic()
        with pytest.raises(Exception) as hung:
            archive.layout(dt.date(2023, 9, 14))
        elapsed = time.monotonic() - started
    assert elapsed < BOUND_S
    assert endpoint in str(hung.value) and "timeout" in str(hung.value).lower()
    assert is_transient(hung.value)  # the step's retry policy may try again later


def test_a_happywhale_request_to_a_silent_server_times_out():
    with blackhole_endpoint() as endpoint, default_request_timeout(NetworkTimeouts(1.0, 1.0, 1)):
        started = time.monotonic()
        with pytest.raises(requests.Timeout):
            requests.get(f"{endpoint}/v1/cs/encounter/config")
        assert time.monotonic() - started < BOUND_S


def test_the_request_timeout_is_only_set_within_the_block():
    original = requests.Session.request
    with default_request_timeout(NetworkTimeouts(1.0, 2.0, 1)):
        assert requests.Session.request is not original
    assert requests.Session.request is original
