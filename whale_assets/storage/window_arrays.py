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
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from upath import UPath

from whale_assets.core.windows import (
    ArrayFile,
    WindowRecord,
    window_entry,
    window_record,
)
from whale_assets.storage.files import is_local, path_under, replace_bytes, streamed_object

INDEX_NAME = "index.json"
FORMAT_VERSION = 1
READ_CHUNK_BYTES = 16 * 2**20  # ranged reads of remote arrays: one chunk in flight besides the array
HEADER_PROBE_BYTES = 4096  # an .npy header is a few hundred bytes; longer ones are read in full


@dataclass(frozen=True)
class WindowArray:
    """One window's record and its array (None when there is no data, e.g. status `no_audio`)."""

    record: WindowRecord
    array: np.ndarray | None = None


@dataclass
class WindowArrays:
    """What an array asset returns: windows produced lazily, so only one is in memory at a time.

    `incomplete` may be set while the windows are produced (e.g. audio not yet in the archive):
    the IO manager reports it as the output's `incomplete` metadata once every window is written.
    """

    windows: Iterable[WindowArray]
    attributes: dict[str, Any] = field(default_factory=dict)
    incomplete: bool = False


@dataclass(frozen=True)
class StoredWindows:
    """A stored partition: the records in memory, each array loaded on demand."""

    directory: UPath
    records: tuple[WindowRecord, ...]
    attributes: dict[str, Any]

    def __iter__(self) -> Iterator[WindowRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def record(self, window_id: str) -> WindowRecord:
        for record in self.records:
            if record.window_id == window_id:
                return record
        raise KeyError(f"window {window_id!r} is not in {self.directory}")

    def array_path(self, window_id: str) -> str | None:
        stored = self.record(window_id).array
        return None if stored is None else str(self.directory / stored.file)

    def load(self, window_id: str) -> np.ndarray | None:
        """The window's array: memory-mapped for local files, read by ranges into one array remotely."""
        stored = self.record(window_id).array
        if stored is None:
            return None
        path = self.directory / stored.file
        if is_local(path):
            return np.load(path.path, mmap_mode="r", allow_pickle=False)
        return read_remote_npy(path)


def write_partition(directory: UPath, arrays: WindowArrays) -> StoredWindows:
    """Write every window, then swap the index in, then remove files it no longer names."""
    directory.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:10]
    records = []
    for window in arrays.windows:
        record = replace(window.record, array=None)
        if window.array is not None:
            name = f"{record.window_id}.{token}.npy"
            _write_npy(path_under(directory, name), window.array)
            stored = ArrayFile(name, str(window.array.dtype), tuple(window.array.shape), int(window.array.nbytes))
            record = replace(record, array=stored)
        records.append(record)
    entries = [window_entry(record) for record in records]
    index = {"format": FORMAT_VERSION, "attributes": arrays.attributes, "windows": entries}
    replace_bytes(directory / INDEX_NAME, json.dumps(index, indent=1, default=str).encode())
    _remove_unreferenced(directory, {r.array.file for r in records if r.array is not None})
    return StoredWindows(directory, tuple(records), dict(arrays.attributes))


def read_partition(directory: UPath) -> StoredWindows:
    index_path = directory / INDEX_NAME
    if not index_path.exists():
        raise FileNotFoundError(
            f"no stored partition at {directory} (missing {INDEX_NAME}): materialize the upstream asset first"
        )
    index = json.loads(index_path.read_bytes())
    records = tuple(window_record(entry) for entry in index["windows"])
    return StoredWindows(directory, records, index.get("attributes", {}))


def status_counts(stored: StoredWindows) -> dict[str, int]:
    return dict(Counter(record.status.value for record in stored))


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
