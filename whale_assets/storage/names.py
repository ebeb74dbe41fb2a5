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
ESCAPE = "~"  # never in a kept name, so an escaped name cannot equal a kept one
LONG_MARK = ESCAPE * 2  # never made by escaping (an escape is `~` and two hex digits)
HASH_CHARS = 32  # 128 bits of SHA-256: a collision is out of reach even for chosen ids
MIN_NAME_LEN = HASH_CHARS + len(LONG_MARK) + 1


class UnsafePathError(ValueError):
    """A relative path that is absolute, climbs out with `..`, or holds characters no file name may hold."""


def safe_file_name(text: str, max_len: int = 120) -> str:
    """`text` as one readable file name of at most `max_len` characters from [A-Za-z0-9._~-].

    One-to-one: text that is already such a name (from [A-Za-z0-9._-], not `.`, `..`, empty or
    starting with a dot) is kept as it is; any other text gets each other character (and a leading
    dot) escaped as `~` and the hex of its UTF-8 bytes, so the name holds a `~` and decodes back to
    the text. An escaped name longer than `max_len` is cut and ends in `~~` and a 128-bit hash of
    the whole text.
    """
    if max_len < MIN_NAME_LEN:
        raise ValueError(f"max_len must be at least {MIN_NAME_LEN}, got {max_len}")
    if _is_plain_name(text) and len(text) <= max_len:
        return text
    escaped = _escaped(text)
    if len(escaped) <= max_len:
        return escaped
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    readable = escaped[: max_len - HASH_CHARS - len(LONG_MARK)]
    readable = readable[: readable.rfind(ESCAPE)] if ESCAPE in readable[-2:] else readable  # no cut escape
    return f"{readable}{LONG_MARK}{digest}"


def _escaped(text: str) -> str:
    parts = []
    for position, character in enumerate(text):
        if SAFE_CHARACTERS.search(character) is None and not (position == 0 and character == "."):
            parts.append(character)
        else:
            parts.append("".join(f"{ESCAPE}{byte:02x}" for byte in character.encode("utf-8", "surrogatepass")))
    return "".join(parts) or ESCAPE  # the empty text: a lone `~`, which no other text gives


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
