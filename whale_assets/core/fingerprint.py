"""Fingerprints: a digest of everything that determines a stored partition."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd


def fingerprint(
    asset: str,
    code_version: str,
    parameters: Mapping[str, Any],
    upstream: Mapping[str, str | None],
) -> str:
    """Same inputs, same digest: asset name, code version, parameters and upstream fingerprints.

    Upstream fingerprints chain, so a changed parameter changes every downstream digest too.
    """
    canonical = json.dumps(
        {"asset": asset, "code": code_version, "parameters": parameters, "upstream": upstream},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def frame_digest(frame: pd.DataFrame) -> str:
    """A digest of a table's content, for outputs that a fingerprint of the inputs cannot predict
    (a live API can answer differently tomorrow)."""
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
    return hashlib.sha256(",".join(frame.columns).encode() + rows).hexdigest()[:32]


def output_fingerprint(input_fingerprint: str, content_digest: str | None) -> str:
    """What downstream partitions chain on: the input fingerprint, plus the content when known."""
    if content_digest is None:
        return input_fingerprint
    return hashlib.sha256(f"{input_fingerprint}:{content_digest}".encode()).hexdigest()[:32]
