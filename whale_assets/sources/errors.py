"""Moved to `whale_assets.io_rules.errors` (storage uses it too, and storage does not import sources);
these names stay importable from here."""

from whale_assets.io_rules.errors import (
    PERMANENT_ERRNOS,
    SHORT_WRITE,
    TRANSIENT_S3_CODES,
    TRANSIENT_STATUS,
    is_duckdb_lock,
    is_short_write,
    is_transient,
)

__all__ = [
    "PERMANENT_ERRNOS",
    "SHORT_WRITE",
    "TRANSIENT_S3_CODES",
    "TRANSIENT_STATUS",
    "is_duckdb_lock",
    "is_short_write",
    "is_transient",
]
