"""What the client needs from either API: Predict on a signature, and the served version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

MAX_MESSAGE_BYTES = 64 * 1024 * 1024
"""gRPC message limit both ways (grpc's default receive limit is 4 MB). A request of 4 rows of
16-window chunks (see client.DEFAULT_MAX_REQUEST_SAMPLES) is ~3.0 MB; a ten-minute chunk would be
~24 MB, which also fits."""


@dataclass(frozen=True)
class Prediction:
    outputs: dict[str, np.ndarray]
    version: int | None
    """The model version that answered, when the API says (gRPC's response model_spec)."""


class Transport(Protocol):
    def predict(self, signature: str, inputs: dict[str, np.ndarray], output_names: tuple[str, ...]) -> Prediction:
        """One Predict request; `output_names` names the outputs expected (REST may omit a single one's name)."""
        ...

    def served_version(self) -> int | None:
        """The version the server would answer with, if the API can tell without a Predict."""
        ...

    def close(self) -> None: ...
