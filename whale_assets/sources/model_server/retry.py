"""Retrying transient model server failures with exponential backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from whale_assets.sources.model_server.errors import ModelServerError

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    attempts: int = 3
    """Requests in all, the first included (`WHALE_NETWORK_ATTEMPTS`, as for S3 and HTTP)."""
    first_delay_s: float = 1.0
    max_delay_s: float = 30.0

    def delay_s(self, failed_attempts: int) -> float:
        """Pause after the n-th failure: first, 2 x first, 4 x first, ... capped, with up to 50 % less jitter
        so workers that lost the server together do not return together."""
        full = min(self.max_delay_s, self.first_delay_s * 2 ** (failed_attempts - 1))
        return full * random.uniform(0.5, 1.0)


def with_retries(call: Callable[[], T], backoff: Backoff, sleep: Callable[[float], None] = time.sleep) -> T:
    """`call()`, repeated after a pause while it raises a transient `ModelServerError`."""
    for attempt in range(1, backoff.attempts + 1):
        try:
            return call()
        except ModelServerError as error:
            if not error.transient:
                raise
            if attempt == backoff.attempts:
                raise ModelServerError(f"{error} (gave up after {attempt} attempts)", transient=True) from error
            sleep(backoff.delay_s(attempt))
    raise AssertionError("unreachable")
