"""One partition of per-window numpy arrays: `.npy` files plus a JSON index, on any UPath.

A partition becomes visible only when its `index.json` is replaced, and the index names only
files that were completely written before it, so readers see the old version or the new one,
never a mixture. Files no index refers to (an older version, a crashed run) are removed after
the swap.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from upath import UPath

from whale_assets.storage.files import is_local, replace_bytes

INDEX_NAME = "index.json"
FORMAT_VERSION = 1


@dataclass
class WindowArray:
    """One window's array (None when there is no data, e.g. status `no_audio`) and its metadata."""

    window_id: str
    metadata: dict[str, Any]
    array: np.ndarray | None = None


@dataclass
class WindowArrays:
    """What an array asset returns: windows produced lazily, so only one is in memory at a time."""

    windows: Iterable[WindowArray]
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredWindows:
    """A stored partition: the index in memory, each array loaded on demand."""

    directory: UPath
    entries: tuple[dict[str, Any], ...]
    attributes: dict[str, Any]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, window_id: str) -> dict[str, Any]:
        for entry in self.entries:
            if entry["window_id"] == window_id:
                return entry
        raise KeyError(f"window {window_id!r} is not in {self.directory}")

    def array_path(self, window_id: str) -> str | None:
        name = self.entry(window_id).get("file")
        return None if name is None else str(self.directory / name)

    def load(self, window_id: str) -> np.ndarray | None:
        """The window's array; memory-mapped for local files so large windows are not copied."""
        name = self.entry(window_id).get("file")
        if name is None:
            return None
        path = self.directory / name
        if is_local(path):
            return np.load(path.path, mmap_mode="r", allow_pickle=False)
        with path.open("rb") as stream:
            return np.load(stream, allow_pickle=False)


def write_partition(directory: UPath, arrays: WindowArrays) -> StoredWindows:
    """Write every window, then swap the index in, then remove files it no longer names."""
    directory.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:10]
    entries = []
    for window in arrays.windows:
        entry: dict[str, Any] = {"window_id": window.window_id, **window.metadata, "file": None}
        if window.array is not None:
            entry["file"] = f"{window.window_id}.{token}.npy"
            entry["dtype"] = str(window.array.dtype)
            entry["shape"] = list(window.array.shape)
            entry["nbytes"] = int(window.array.nbytes)
            with (directory / entry["file"]).open("wb") as stream:
                np.save(stream, np.ascontiguousarray(window.array), allow_pickle=False)
        entries.append(entry)
    index = {"format": FORMAT_VERSION, "attributes": arrays.attributes, "windows": entries}
    replace_bytes(directory / INDEX_NAME, json.dumps(index, indent=1, default=str).encode())
    _remove_unreferenced(directory, {e["file"] for e in entries if e["file"]})
    return StoredWindows(directory, tuple(entries), dict(arrays.attributes))


def read_partition(directory: UPath) -> StoredWindows:
    index_path = directory / INDEX_NAME
    if not index_path.exists():
        raise FileNotFoundError(
            f"no stored partition at {directory} (missing {INDEX_NAME}): materialize the upstream asset first"
        )
    index = json.loads(index_path.read_bytes())
    return StoredWindows(directory, tuple(index["windows"]), index.get("attributes", {}))


def status_counts(stored: StoredWindows) -> dict[str, int]:
    return dict(Counter(entry.get("status", "ok") for entry in stored))


def _remove_unreferenced(directory: UPath, keep: set[str]) -> None:
    for child in directory.iterdir():
        if child.name != INDEX_NAME and child.name not in keep:
            child.unlink()
