"""An S3 error names the bucket and key it came from (issue 23, finding 7).

A loopback server answers every S3 request with 403 AccessDenied, as a results bucket whose
policy refuses the run's role does; the encounter source (local exports) is fine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from dagster import instance_for_test

from whale_assets.settings import Settings
from whale_assets_tests.support.pipeline import DAY, build_song_day, run_day_result
from whale_assets_tests.support.s3_server import CLEARED, FAKE_CREDENTIALS
from whale_assets_tests.support.world import World

pytestmark = pytest.mark.faults

BUCKET = "whale-results-refused"
ACCESS_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied</Message><RequestId>1</RequestId></Error>"
)


class Refusing(BaseHTTPRequestHandler):
    def _refuse(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(403)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", "0" if self.command == "HEAD" else str(len(ACCESS_DENIED)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(ACCESS_DENIED)

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _refuse

    def log_message(self, *args) -> None:
        pass


@contextmanager
def refusing_s3() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_403_from_the_results_bucket_names_the_bucket_and_not_the_encounter_source(tmp_path, monkeypatch):
    import s3fs

    world = World(tmp_path / "world")
    build_song_day(world)
    local = world.settings()
    with refusing_s3() as endpoint:
        for name, value in FAKE_CREDENTIALS.items():
            monkeypatch.setenv(name, value)
        for name in CLEARED:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
        s3fs.S3FileSystem.clear_instance_cache()
        settings = Settings.from_env(
            {
                "WHALE_DATA_DIR": str(local.data_dir),
                "WHALE_ENCOUNTERS": local.encounters,
                "WHALE_AUDIO_SOURCE": local.audio_source,
                "WHALE_CLASSIFIER": local.classifier,
                "WHALE_STORAGE": "s3",
                "WHALE_S3_BUCKET": BUCKET,
                "WHALE_S3_PREFIX": "whale",
            }
        )
        began = time.monotonic()
        with instance_for_test() as instance:
            result = run_day_result(settings, instance, DAY)
        seconds = time.monotonic() - began

    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures and not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    message = failures[0].event_specific_data.error.message
    assert f"s3://{BUCKET}/whale" in message, message
    assert "encounter source" not in message and "WHALE_ENCOUNTERS" not in message
    print(f"failed in {seconds:.1f} s: {message.splitlines()[0]}")  # the time the docs state (-s shows it)
