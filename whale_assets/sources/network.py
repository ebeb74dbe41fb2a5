"""Moved to `whale_assets.io_rules.network` (storage uses it too, and storage does not import sources);
these names stay importable from here."""

from whale_assets.io_rules.network import (
    ATTEMPTS_ENV,
    CONNECT_ENV,
    MAX_ATTEMPTS,
    MAX_CONNECT_S,
    MAX_READ_S,
    READ_ENV,
    NetworkTimeouts,
    bounded_s3fs,
    network_timeouts_from_env,
    s3fs_options,
)

__all__ = [
    "ATTEMPTS_ENV",
    "CONNECT_ENV",
    "MAX_ATTEMPTS",
    "MAX_CONNECT_S",
    "MAX_READ_S",
    "READ_ENV",
    "NetworkTimeouts",
    "bounded_s3fs",
    "network_timeouts_from_env",
    "s3fs_options",
]
