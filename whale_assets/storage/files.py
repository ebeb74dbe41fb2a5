"""Atomic writes on local disks and object stores."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from fsspec import AbstractFileSystem
from upath import UPath

from whale_assets.storage.names import UnsafePathError, checked_relative_path

# Multipart part size for streamed object writes: memory held per open upload is about this much
# (S3 wants parts of at least 5 MiB; 10 000 parts of 16 MiB allow objects up to ~156 GiB).
WRITE_BLOCK_BYTES = 16 * 2**20


def is_local(path: UPath) -> bool:
    return path.protocol in ("", "file", "local")


def is_local_fs(fs: AbstractFileSystem) -> bool:
    protocols = (fs.protocol,) if isinstance(fs.protocol, str) else tuple(fs.protocol)
    return any(protocol in ("file", "local") for protocol in protocols)


def replace_bytes(path: UPath, data: bytes) -> None:
    """Replace the file at `path` with `data` in one atomic step; the parent must exist."""
    replace_file(path.fs, path.path, data)


def replace_file(fs: AbstractFileSystem, path: str, data: bytes) -> None:
    """`replace_bytes` for a path inside an fsspec filesystem (such as one built from S3 settings)."""
    if is_local_fs(fs):
        temporary = f"{path}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            with open(temporary, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:  # a full disk, an interrupt: the write that made the temporary removes it
            with contextlib.suppress(FileNotFoundError):
                os.remove(temporary)
            raise
    else:
        # A single object PUT is atomic on S3-compatible stores.
        fs.pipe_file(path, data)


@contextmanager
def streamed_object(path: UPath, block_size: int = WRITE_BLOCK_BYTES) -> Iterator[BinaryIO]:
    """A remote object written part by part (multipart upload), visible only if the block completes.

    fsspec files commit on close even when an exception leaves the `with` block; here an error
    aborts the upload instead, so a failed or killed write never leaves a truncated object.
    """
    stream = path.fs.open(path.path, "wb", block_size=block_size)
    try:
        yield stream
    except BaseException:
        stream.discard()  # aborts the multipart upload, if one was started
        stream.closed = True  # and keeps __del__ from committing what was buffered
        raise
    stream.close()


def path_under(base: UPath, relative_path: str, data_root: UPath | None = None) -> UPath:
    """`base / relative_path`, refused (UnsafePathError) when it would land outside `base`, or,
    every symlink followed, outside `data_root` (`confined`)."""
    path = base / checked_relative_path(relative_path)
    if is_local(path):
        root = os.path.realpath(base.path)
        if os.path.commonpath([root, os.path.realpath(path.path)]) != root:
            raise UnsafePathError(f"refusing {relative_path!r}: it resolves outside {root}")
    return path if data_root is None else confined(path, data_root)


def confined(path: UPath, data_root: UPath) -> UPath:
    """`path` if, every symlink on the way followed, it stays inside `data_root`'s real folder.

    `path_under` alone trusts its base: with `<data>/images` (or a day folder) replaced by a
    symlink to a folder elsewhere, the base itself leads out, and every write would follow.
    """
    if not is_local(path):
        return path
    real_root = os.path.realpath(data_root.path)
    real = os.path.realpath(path.path)  # resolves the part that exists; the rest is taken as written
    if os.path.commonpath([real_root, real]) != real_root:
        raise UnsafePathError(
            f"refusing to write {path.path}: a symlink leads it to {real}, outside the data directory "
            f"{real_root} (WHALE_DATA_DIR); replace the symlink by a real folder or point WHALE_DATA_DIR at the "
            "storage you mean"
        )
    return path
