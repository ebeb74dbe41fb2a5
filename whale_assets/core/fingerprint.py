"""Fingerprints: a digest of everything that determines a stored partition."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


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
