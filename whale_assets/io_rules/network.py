"""Time limits on every network request (S3 through s3fs/botocore, HTTP through requests).

Without them an endpoint that accepts connections and never answers held `whale-assets sql`
for ~7 minutes and a materialization for over 20: s3fs retried botocore's retries of a
15-second read, five times over. Here botocore alone retries, `attempts` times in all, each
attempt bounded by the connect and read timeouts, so a silent endpoint fails after at most
about attempts x (connect_s + read_s) plus botocore's short backoff.

`WHALE_CONNECT_TIMEOUT_S` (default 10), `WHALE_READ_TIMEOUT_S` (default 60) and
`WHALE_NETWORK_ATTEMPTS` (default 3) set them; read when a client is made.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CONNECT_ENV, READ_ENV, ATTEMPTS_ENV = "WHALE_CONNECT_TIMEOUT_S", "WHALE_READ_TIMEOUT_S", "WHALE_NETWORK_ATTEMPTS"
MAX_CONNECT_S, MAX_READ_S, MAX_ATTEMPTS = 300.0, 3600.0, 10


@dataclass(frozen=True)
class NetworkTimeouts:
    connect_s: float = 10.0
    read_s: float = 60.0
    attempts: int = 3  # requests in all, the first included


def network_timeouts_from_env(env: Mapping[str, str] | None = None) -> NetworkTimeouts:
    """The limits from the environment; `ValueError` naming the variable for a bad value."""
    env = os.environ if env is None else env
    defaults = NetworkTimeouts()
    return NetworkTimeouts(
        connect_s=_positive(env, CONNECT_ENV, defaults.connect_s, float, "seconds", MAX_CONNECT_S),
        read_s=_positive(env, READ_ENV, defaults.read_s, float, "seconds", MAX_READ_S),
        attempts=_positive(env, ATTEMPTS_ENV, defaults.attempts, int, "a whole number", MAX_ATTEMPTS),
    )


def s3fs_options(timeouts: NetworkTimeouts, retries: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """s3fs keyword arguments bounding each request; `retries` overrides botocore's retry config."""
    return {
        "config_kwargs": {
            "connect_timeout": timeouts.connect_s,
            "read_timeout": timeouts.read_s,
            "retries": dict(retries or {"max_attempts": timeouts.attempts, "mode": "standard"}),
        }
    }


def bounded_s3fs(fs):
    """`fs` (an S3FileSystem) with s3fs's own retry loop off (botocore's bounded retries suffice)
    and its errors naming the bucket and key they came from."""
    fs.retries = 1  # s3fs's loop count: 1 = a single try of botocore's (already retried) call
    if not getattr(fs, "_names_objects", False):
        fs._call_s3 = _naming_the_object(fs._call_s3)
        fs._names_objects = True
    return fs


def _naming_the_object(call_s3):
    """Wrap s3fs's one request method: an error gains `s3_location` and says it (s3fs's
    "Access Denied" alone leaves a 403 from the results bucket looking like anyone's)."""

    async def call(method, *args, **kwargs):
        try:
            return await call_s3(method, *args, **kwargs)
        except Exception as error:
            bucket, key = kwargs.get("Bucket"), kwargs.get("Key") or kwargs.get("Prefix") or ""
            if bucket and not hasattr(error, "s3_location"):
                location = f"s3://{bucket}/{key}"
                # s3fs's own exception, tagged in place so callers still catch it as what it is
                error.s3_location = location  # type: ignore[attr-defined]
                if len(error.args) == 1 and isinstance(error.args[0], str) and location not in error.args[0]:
                    error.args = (f"{error.args[0]} ({method} {location})",)
            raise

    return call


def _positive(env: Mapping[str, str], name: str, default, kind: type, what: str, maximum):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if not 0 < value <= maximum:  # NaN fails too; a huge value would turn a hung endpoint into a hung run
        raise ValueError(f"{name}={raw!r} is not valid; use {what} above 0 and at most {maximum} (default {default})")
    return value
