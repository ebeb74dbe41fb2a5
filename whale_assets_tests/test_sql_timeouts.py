"""`whale-assets sql` in S3 mode against a silent endpoint gives up in bounded time, naming it."""

from __future__ import annotations

import time

import pytest

from whale_assets.cli import main
from whale_assets_tests.support.blackhole import blackhole_endpoint
from whale_assets_tests.support.s3_server import CLEARED, FAKE_CREDENTIALS

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

SHORT = {"WHALE_CONNECT_TIMEOUT_S": "1", "WHALE_READ_TIMEOUT_S": "1", "WHALE_NETWORK_ATTEMPTS": "2"}


def test_sql_in_s3_mode_against_a_silent_endpoint_fails_within_the_timeouts(monkeypatch, capsys):
    for name in (*CLEARED, "WHALE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    env = {**FAKE_CREDENTIALS, **SHORT, "WHALE_STORAGE": "s3", "WHALE_S3_BUCKET": "results", "WHALE_S3_PREFIX": "runs"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with blackhole_endpoint() as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
        started = time.monotonic()
        code = main(["sql", "select count(*) from whale_results"])
        elapsed = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert elapsed < 8.0  # 2 attempts x 1 s read timeout, botocore's short backoff, slack
    assert "cannot list s3://results/runs/tables" in err and endpoint in err and "timeout" in err.lower()
