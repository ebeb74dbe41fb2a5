"""Where each stored partition's fingerprint lives, and the IO manager wrapper that keeps it.

Fingerprints sit beside the data (`<storage root>/_fingerprints/<asset>/<partition>.json`), so
any Dagster instance pointed at the same storage, local or S3, can reuse what is there. A
fingerprint is removed before its partition is rewritten and recorded only after the write
succeeded: a crash in between leaves no fingerprint, which means "recompute", never "reuse".
Incomplete partitions (audio missing from the archive) get no fingerprint either: they say so
in their output metadata (`INCOMPLETE_KEY`), set by the asset or by the inner IO manager while
it writes (lazily produced windows only know at the end).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from dagster import InputContext, IOManager, OutputContext
from upath import UPath

from whale_assets.core.fingerprint import output_fingerprint
from whale_assets.storage.files import path_under, replace_bytes
from whale_assets.storage.layout import FINGERPRINTS_DIR
from whale_assets.storage.metadata_keys import (
    CONTENT_KEY,
    FINGERPRINT_KEY,
    INCOMPLETE_KEY,
    OUTPUT_KEY,
    REUSED_KEY,
)
from whale_assets.storage.s3 import storage_path


class FingerprintRegistry:
    def __init__(self, root: str) -> None:
        self.data_root = storage_path(root)
        self.root = self.data_root / FINGERPRINTS_DIR

    def _path(self, asset: str, partition: str) -> UPath:
        return path_under(self.root, f"{asset}/{partition}.json", self.data_root)

    def _entry(self, asset: str, partition: str) -> dict | None:
        path = self._path(asset, partition)
        return json.loads(path.read_bytes()) if path.exists() else None

    def get(self, asset: str, partition: str) -> str | None:
        """The fingerprint of what the stored partition was computed from."""
        entry = self._entry(asset, partition)
        return None if entry is None else entry[FINGERPRINT_KEY]

    def get_output(self, asset: str, partition: str) -> str | None:
        """The fingerprint downstream partitions chain on (includes the content where recorded)."""
        entry = self._entry(asset, partition)
        return None if entry is None else entry.get(OUTPUT_KEY, entry[FINGERPRINT_KEY])

    def record(self, asset: str, partition: str, value: str, content_digest: str | None = None) -> None:
        path = self._path(asset, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            FINGERPRINT_KEY: value,
            OUTPUT_KEY: output_fingerprint(value, content_digest),
            "written_utc": dt.datetime.now(dt.timezone.utc).isoformat(),
        }
        replace_bytes(path, json.dumps(entry).encode())

    def clear(self, asset: str, partition: str) -> None:
        path = self._path(asset, partition)
        if path.exists():
            path.unlink()


class FingerprintedIOManager(IOManager):
    """Skips writing outputs marked reused; records the fingerprint of complete outputs it wrote."""

    def __init__(self, inner: IOManager, registry: FingerprintRegistry) -> None:
        self.inner = inner
        self.registry = registry

    def handle_output(self, context: OutputContext, obj) -> None:
        metadata: dict[str, Any] = {k: getattr(v, "value", v) for k, v in context.output_metadata.items()}
        if metadata.get(REUSED_KEY):
            return
        if not context.has_asset_partitions or FINGERPRINT_KEY not in metadata:
            self.inner.handle_output(context, obj)
            return
        asset, partition = context.asset_key.to_user_string(), context.asset_partition_key
        self.registry.clear(asset, partition)
        self.inner.handle_output(context, obj)
        written = {k: getattr(v, "value", v) for k, v in context.get_logged_metadata().items()}
        if not (metadata.get(INCOMPLETE_KEY) or written.get(INCOMPLETE_KEY)):
            self.registry.record(asset, partition, metadata[FINGERPRINT_KEY], metadata.get(CONTENT_KEY))

    def load_input(self, context: InputContext):
        return self.inner.load_input(context)
