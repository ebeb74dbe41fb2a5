"""A real S3 protocol server on loopback for tests: moto's ThreadedMotoServer in a child process.

The server runs in its own process so that what it holds (moto keeps objects in memory) never
counts towards the memory the code under test is measured to use. Clients reach it through
`AWS_ENDPOINT_URL_S3`, like any S3-compatible endpoint.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

_SERVE = """
import sys, time
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server._server.server_port, flush=True)
sys.stdin.read()  # serve until the test session closes our stdin
server.stop()
"""

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
CLEARED = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)


@contextmanager
def moto_server() -> Iterator[str]:
    """Start the server and yield its endpoint URL, http://127.0.0.1:<port>."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def use_endpoint(monkeypatch: pytest.MonkeyPatch, endpoint: str) -> str:
    """Point boto3 and s3fs at `endpoint` with fake credentials; return a fresh, empty bucket's name."""
    import boto3
    import s3fs

    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    s3fs.S3FileSystem.clear_instance_cache()  # no client made for an earlier endpoint survives
    bucket = f"whale-test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return bucket


def object_keys(bucket: str, prefix: str = "") -> list[str]:
    import boto3

    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))
