"""One partition of per-window numpy arrays: `.npy` files plus a JSON index, on any UPath.

A partition becomes visible only when its `index.json` is replaced, and the index names only
files that were completely written before it, so readers see the old version or the new one,
never a mixture. Files no index refers to (an older version, a crashed run) are removed after
the swap.
"""

from __future__ import annotations

import io
import json
import struct
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from upath import UPath

from whale_assets.storage.files import is_local, path_under, replace_bytes, streamed_object

INDEX_NAME = "index.json"
FORMAT_VERSION = 1
READ_CHUNK_BYTES = 16 * 2**20  # ranged reads of remote arrays: one chunk in flight besides the array
HEADER_PROBE_BYTES = 4096  # an .npy header is a few hundred bytes; longer ones are read in full


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
        """The window's array: memory-mapped for local files, read by ranges into one array remotely."""
        name = self.entry(window_id).get("file")
        if name is None:
            return None
        path = self.directory / name
        if is_local(path):
            return np.load(path.path, mmap_mode="r", allow_pickle=False)
        return read_remote_npy(path)


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
            _write_npy(path_under(directory, entry["file"]), window.array)
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


def read_remote_npy(path: UPath, chunk_bytes: int = READ_CHUNK_BYTES) -> np.ndarray:
    """An `.npy` object read with byte-range requests straight into one preallocated array.

    Peak memory is the array plus one chunk, however large the array (a 1-hour 16 kHz float32
    window is 230 MB); `np.load` on a remote stream would hold the whole body again as bytes.
    """
    fs, key = path.fs, path.path
    probe = fs.cat_file(key, start=0, end=HEADER_PROBE_BYTES)
    header_end = _npy_header_end(probe, str(path))
    if header_end > len(probe):
        probe = fs.cat_file(key, start=0, end=header_end)
    stream = io.BytesIO(probe[:header_end])
    major, _ = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream, max_header_size=header_end + 1)
    if dtype.hasobject:
        raise ValueError(f"{path} holds Python objects; only plain arrays are stored")
    array = np.empty(shape[::-1] if fortran_order else shape, dtype=dtype)
    flat = array.reshape(-1).view(np.uint8)  # the array's own bytes, written in place
    for start in range(0, flat.size, chunk_bytes):
        stop = min(start + chunk_bytes, flat.size)
        data = fs.cat_file(key, start=header_end + start, end=header_end + stop)
        if len(data) != stop - start:
            raise ValueError(f"{path} is truncated: expected {flat.size} data bytes after its header")
        flat[start:stop] = np.frombuffer(data, np.uint8)
        del data
    return array.T if fortran_order else array


def _npy_header_end(probe: bytes, name: str) -> int:
    if probe[:6] != b"\x93NUMPY" or len(probe) < 10:
        raise ValueError(f"{name} is not an .npy file")
    if probe[6] == 1:
        return 10 + struct.unpack("<H", probe[8:10])[0]
    if len(probe) < 12:
        raise ValueError(f"{name} is not an .npy file")
    return 12 + struct.unpack("<I", probe[8:12])[0]


def _write_npy(path: UPath, array: np.ndarray) -> None:
    """Local: a plain file. Remote: streamed as a multipart upload, a part at a time."""
    array = np.ascontiguousarray(array)
    if is_local(path):
        with path.open("wb") as stream:
            np.save(stream, array, allow_pickle=False)
        return
    with streamed_object(path) as stream:
        np.save(stream, array, allow_pickle=False)


def _remove_unreferenced(directory: UPath, keep: set[str]) -> None:
    for child in directory.iterdir():
        if child.name != INDEX_NAME and child.name not in keep:
            child.unlink()
