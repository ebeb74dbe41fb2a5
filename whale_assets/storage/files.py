"""Atomic writes on local disks and object stores."""

from __future__ import annotations

import os
import uuid

from upath import UPath


def is_local(path: UPath) -> bool:
    return path.protocol in ("", "file", "local")


def replace_bytes(path: UPath, data: bytes) -> None:
    if is_local(path):
        temporary = f"{path.path}.{uuid.uuid4().hex[:8]}.tmp"
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path.path)
    else:
        # A single object PUT is atomic on S3-compatible stores.
        path.write_bytes(data)
