"""File names and relative paths derived from outside data (encounter ids, window ids).

An encounter id comes from Happywhale or a CSV someone edited, so it may hold `/`, `..`, NUL or
anything else. `safe_file_name` turns any text into one plain path segment; `checked_relative_path`
refuses a relative path that could leave the folder it is joined to (defence in depth).
"""

from __future__ import annotations

import hashlib
import posixpath
import re

SAFE_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]")
HASH_CHARS = 10
MIN_NAME_LEN = HASH_CHARS + 2


class UnsafePathError(ValueError):
    """A relative path that is absolute, climbs out with `..`, or holds characters no file name may hold."""


def safe_file_name(text: str, max_len: int = 120) -> str:
    """`text` as a readable file name of at most `max_len` characters from [A-Za-z0-9._-].

    Text that is already such a name (not `.`, `..`, empty or starting with a dot) is kept as it
    is; any other text is cleaned and cut, and a short hash of the original is appended so that
    two ids that clean to the same name still get different files.
    """
    if max_len < MIN_NAME_LEN:
        raise ValueError(f"max_len must be at least {MIN_NAME_LEN}, got {max_len}")
    if _is_plain_name(text) and len(text) <= max_len:
        return text
    cleaned = SAFE_CHARACTERS.sub("_", text).lstrip(".")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    readable = cleaned[: max_len - HASH_CHARS - 1]
    return f"{readable}-{digest}" if readable else f"_{digest}"


def checked_relative_path(relative_path: str) -> str:
    """`relative_path` if it stays inside whatever folder it is joined to, else UnsafePathError."""
    if not relative_path or "\x00" in relative_path or "\\" in relative_path:
        raise UnsafePathError(f"refusing relative path {relative_path!r}: empty, NUL or backslash")
    if relative_path.startswith("/"):
        raise UnsafePathError(f"refusing relative path {relative_path!r}: it is absolute")
    segments = relative_path.split("/")
    if any(segment in ("..", ".") for segment in segments) or posixpath.normpath(relative_path).startswith(".."):
        raise UnsafePathError(f"refusing relative path {relative_path!r}: it climbs out of its folder")
    return relative_path


def _is_plain_name(text: str) -> bool:
    return bool(text) and not text.startswith(".") and SAFE_CHARACTERS.search(text) is None
