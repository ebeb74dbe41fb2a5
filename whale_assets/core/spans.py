"""Sample spans: half-open [first, last) index ranges into one window's audio."""

from __future__ import annotations


def widen(span: tuple[int, int], min_samples: int, n_samples: int) -> tuple[int, int]:
    """Grow `span` about its centre to at least `min_samples`, staying inside [0, n_samples)."""
    first, last = span
    missing = min_samples - (last - first)
    if missing <= 0:
        return first, last
    first = max(0, first - missing // 2)
    last = min(n_samples, first + min_samples)
    first = max(0, last - min_samples)
    return first, last
