"""One partition of per-window numpy arrays: `.npy` files plus a JSON index, on any UPath.

A partition becomes visible only when its `index.json` is replaced, and the index names only
files that were completely written before it, so readers see the old version or the new one,
never a mixture. After the swap a write removes only the files of the index it replaced, so
concurrent runs of one partition never delete each other's committed files; orphans of killed
runs go on a later write (`storage/partition_files.py`). A reader whose index was replaced, and
its array removed, while it read reads that window from the newer index (`StoredWindows.load`).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
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
from whale_assets.storage.files import is_local, path_under, replace_bytes
from whale_assets.storage.npy_files import StreamedArray, read_npy_range, read_remote_npy, write_npy
from whale_assets.storage.partition_files import (
    ORPHAN_AGE_S,
    partition_lock,
    present_files,
    remove_files,
    remove_orphans,
)

INDEX_NAME = "index.json"
FORMAT_VERSION = 1
# A reader whose array a concurrent write replaced re-reads the newest index up to this many times.
REREADS = 3


@dataclass(frozen=True)
class WindowArray:
    """One window's record and its array (None when there is no data, e.g. status `no_audio`).

    A long window can come as a `StreamedArray`, written piece by piece; it reads back as one array.
    """

    record: WindowRecord
    array: np.ndarray | StreamedArray | None = None
    # Applied to the record once the array is written: for what only the streamed samples tell
    # (raw_audio's share of digital silence).
    finished: Callable[[WindowRecord], WindowRecord] | None = None


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
        """Where the window's array is now: the newer index's file if a concurrent write replaced ours."""
        stored = self.record(window_id).array
        if stored is None:
            return None
        path = self.directory / stored.file
        if path.exists():
            return str(path)
        newer = self._newer_record(window_id, stored.file).array
        return None if newer is None else str(self.directory / newer.file)

    def load(self, window_id: str) -> np.ndarray | None:
        """The window's array: memory-mapped for local files, read by ranges into one array remotely.

        Another run of the same partition (another instance on the same storage bypasses the run
        queue) may replace the index this was read from and remove its files; the window is then
        read from the newer index, which that write made from the same inputs.
        """
        stored = self.record(window_id).array
        if stored is None:
            return None
        try:
            return _load_npy(self.directory / stored.file)
        except FileNotFoundError:
            pass
        gone = stored.file
        for _ in range(REREADS):
            newer = self._newer_record(window_id, gone).array
            if newer is None:
                return None
            try:
                return _load_npy(self.directory / newer.file)
            except FileNotFoundError:
                gone = newer.file  # replaced again while we read: once more from the newest index
        raise FileNotFoundError(
            f"window {window_id!r} of {self.directory}: its array was replaced {REREADS + 1} times while "
            "this run read it; several runs are rewriting this partition at once: re-run when they are done"
        )

    def load_present(self, window_id: str) -> np.ndarray:
        """`load` for a window whose array must exist (every ok window has one): an error if there is none."""
        array = self.load(window_id)
        if array is None:
            raise FileNotFoundError(f"window {window_id!r} of {self.directory} has no stored array")
        return array

    def _newer_record(self, window_id: str, gone: str) -> WindowRecord:
        current = read_partition(self.directory)
        try:
            record = current.record(window_id)
        except KeyError:
            raise FileNotFoundError(
                f"{self.directory / gone} was removed by a newer write of {self.directory} that has no window "
                f"{window_id!r} (its inputs changed): re-run this asset to read the new version"
            ) from None
        if record.array is not None and record.array.file == gone:
            raise FileNotFoundError(
                f"{self.directory / gone} is missing although {self.directory / INDEX_NAME} names it: "
                "re-materialize this partition with force: true"
            )
        return record

    def read_range(self, window_id: str, start: int, stop: int) -> np.ndarray:
        """Elements [start, stop) of the window's 1-D array, read by offset (a piece of a long window)."""
        stored = self.record(window_id).array
        if stored is None:
            raise FileNotFoundError(f"window {window_id!r} of {self.directory} has no stored array")
        with _named_if_unreadable(path := self.directory / stored.file):
            return read_npy_range(path, start, stop)

    def missing_files(self) -> list[str]:
        """The array files the index names that the store lacks (one directory listing)."""
        named = [record.array.file for record in self.records if record.array is not None]
        present = present_files(self.directory) if named else set()
        return [name for name in named if name not in present]


@contextmanager
def _named_if_unreadable(path: UPath) -> Iterator[None]:
    """numpy's messages for a garbage `.npy` ("EOF: reading array header") name no file: add it."""
    try:
        yield
    except (ValueError, EOFError) as garbage:
        if str(path) in str(garbage):
            raise
        raise ValueError(
            f"{path} is not a readable .npy array ({garbage}); re-materialize the asset for this day with "
            "force: true (run config)"
        ) from garbage


def write_partition(directory: UPath, arrays: WindowArrays, orphan_age_s: float = ORPHAN_AGE_S) -> StoredWindows:
    """Write every window, swap the index in, then remove what it replaced (see partition_files)."""
    directory.mkdir(parents=True, exist_ok=True)
    with partition_lock(directory) as exclusive:
        token = uuid.uuid4().hex[:10]
        written: list[str] = []
        try:
            records = [_write_window(directory, token, window, written) for window in arrays.windows]
            entries = [window_entry(record) for record in records]
            index = {"format": FORMAT_VERSION, "attributes": arrays.attributes, "windows": entries}
            replaced = _indexed_files(directory)  # just before the swap: what this write replaces
            replace_bytes(directory / INDEX_NAME, json.dumps(index, indent=1, default=str).encode())
        except BaseException:
            remove_files(directory, written)
            raise
        remove_files(directory, replaced - set(written))
        current = _indexed_files(directory)  # a concurrent writer may have swapped in since
        remove_orphans(directory, {INDEX_NAME, *written, *current}, 0 if exclusive else orphan_age_s)
    return StoredWindows(directory, tuple(records), dict(arrays.attributes))


def _write_window(directory: UPath, token: str, window: WindowArray, written: list[str]) -> WindowRecord:
    record = replace(window.record, array=None)
    array = window.array
    if array is None:
        return record
    name = f"{record.window_id}.{token}.npy"
    path = path_under(directory, name)  # refused before anything is written or cleaned up
    written.append(name)  # before writing: a half-written file is removed on failure too
    write_npy(path, array)
    if window.finished is not None:
        record = window.finished(record)
    return replace(record, array=ArrayFile(name, str(np.dtype(array.dtype)), tuple(array.shape), int(array.nbytes)))


def _indexed_files(directory: UPath) -> set[str]:
    try:
        return {record.array.file for record in read_partition(directory) if record.array is not None}
    except FileNotFoundError:
        return set()


def _load_npy(path: UPath) -> np.ndarray:
    with _named_if_unreadable(path):
        if is_local(path):
            return np.load(path.path, mmap_mode="r", allow_pickle=False)  # the map outlives a later unlink
        return read_remote_npy(path)


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
