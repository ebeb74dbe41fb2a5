"""Clean-up of a partition directory that several runs may write at once.

A write removes only (a) the files named by the index it replaced, read just before its swap,
(b) its own files when it fails, and (c) orphans: files no current index names, left by a
killed run. Orphans are removed at once when the write holds the partition's lock (local
disks, `fcntl`), and otherwise only once older than `ORPHAN_AGE_S`, so the files of a writer
still running elsewhere (S3 has no locks) are never taken away.
"""

from __future__ import annotations

import datetime as dt
import errno
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from upath import UPath

from whale_assets.storage.files import is_local
from whale_assets.storage.names import UnsafePathError

try:
    import fcntl
except ImportError:  # not on Windows: writes there rely on (a) to (c) without a lock
    fcntl = None  # type: ignore[assignment]  # the module or None: the lock is skipped without it

LOCK_NAME = ".write.lock"
# Longer than any single partition write takes, so only a dead writer's files are this old.
ORPHAN_AGE_S = 6 * 3600


@contextmanager
def partition_lock(directory: UPath) -> Iterator[bool]:
    """Hold the directory's write lock (local disks only); yields whether this write is exclusive."""
    if fcntl is None or not is_local(directory):
        yield False
        return
    lock_path = os.path.join(directory.path, LOCK_NAME)
    try:  # never through a symlink: one planted here would have the lock created wherever it points
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise UnsafePathError(f"refusing the write lock {lock_path}: it is a symlink; remove it") from error
    with open(descriptor, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process dies
        yield True


@contextmanager
def no_lock(directory: UPath) -> Iterator[bool]:
    yield False


def remove_files(directory: UPath, names: Iterable[str]) -> None:
    """Remove the named files of `directory`; ones already gone (another writer's clean-up) are fine."""
    for name in names:
        try:
            (directory / name).unlink()
        except FileNotFoundError:
            pass


def remove_orphans(directory: UPath, keep: set[str], min_age_s: float) -> list[str]:
    """Remove the files not in `keep` (nor the index or lock) modified at least `min_age_s` ago."""
    now = time.time()
    orphans = [
        name
        for name, modified in _listing(directory)
        if name not in keep and name != LOCK_NAME and now - modified >= min_age_s
    ]
    remove_files(directory, orphans)
    return orphans


def present_files(directory: UPath) -> set[str]:
    """The names of the files in `directory` (one listing); empty when it does not exist."""
    return {name for name, _ in _listing(directory)}


def _listing(directory: UPath) -> list[tuple[str, float]]:
    try:
        entries = directory.fs.ls(directory.path, detail=True)
    except FileNotFoundError:
        return []
    return [
        (entry["name"].rstrip("/").rsplit("/", 1)[-1], _modified(entry)) for entry in entries if entry["type"] == "file"
    ]


def _modified(entry: dict) -> float:
    stamp = entry.get("mtime", entry.get("LastModified", entry.get("last_modified")))
    if isinstance(stamp, dt.datetime):
        return stamp.timestamp()
    return float(stamp) if stamp is not None else time.time()  # unknown age: never an orphan
