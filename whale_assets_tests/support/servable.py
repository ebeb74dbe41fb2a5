"""The model behind the protocol-level TF Serving stand-in: SavedModel versions and Predict's rules.

Follows what TF Serving does (tensorflow_serving/servables/tensorflow/predict_util.cc and the
server core) wherever the client could tell the difference:
- a model base path holds numeric version folders (`models/humpback_whale/1/`); requests without a
  version get the highest one; a directory holding `saved_model.pb` itself is served as version 1;
  a version folder added later is loaded and served (TF Serving polls the base path; the stand-in
  looks on every request);
- an unknown model name or version is NOT_FOUND ("Servable not found for request: ...");
- an unknown signature is FAILED_PRECONDITION (`Serving signature key "x" not found.`); an empty
  signature name means `serving_default`;
- inputs must be exactly the signature's inputs, with its dtypes (INVALID_ARGUMENT otherwise);
- the response's model_spec carries name, version and signature name.
`Faults` lets a test make the next requests fail with a status code (e.g. UNAVAILABLE), slow each
Predict down, and read what the server saw (requests in flight at once, the largest waveform).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SIGNATURE = "serving_default"


class ServingError(Exception):
    """A Predict failure with a gRPC status code name (REST maps it onto an HTTP status)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Faults:
    """Failures to inject: `fail_next("UNAVAILABLE")` fails the next Predict (on `signature`, if given)."""

    pending: deque = field(default_factory=deque)
    requests: Counter = field(default_factory=Counter)
    """Predict requests received per signature name (failed ones included)."""
    delay_s: float = 0.0
    """Seconds each Predict takes on top of the model's work, so that client requests overlap."""
    max_in_flight: int = 0
    """The most Predicts the server was working on at once since `reset_observations`."""
    largest_waveform_samples: int = 0
    """The most `waveform` samples (rows x samples) one Predict carried since `reset_observations`."""
    metadata_requests: int = 0
    """REST `GET .../metadata` requests received."""
    _in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset_observations(self) -> None:
        with self._lock:
            self.max_in_flight = self.largest_waveform_samples = 0
            self.delay_s = 0.0

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def saw_waveform(self, samples: int) -> None:
        with self._lock:
            self.largest_waveform_samples = max(self.largest_waveform_samples, samples)

    def fail_next(self, code: str, times: int = 1, signature: str | None = None) -> None:
        with self._lock:
            self.pending.extend([(code, signature)] * times)

    def count(self, signature: str) -> None:
        with self._lock:
            self.requests[signature] += 1

    def take(self, signature: str) -> str | None:
        with self._lock:
            if self.pending and self.pending[0][1] in (None, signature):
                return self.pending.popleft()[0]
        return None


class Servable:
    """The versions of one model, loaded with `tf.saved_model.load`."""

    def __init__(self, base_path: Path, name: str, faults: Faults | None = None) -> None:
        self.base_path = Path(base_path)
        self.name = name
        self.faults = faults or Faults()
        self.versions: dict[int, Any] = {}
        self._load_lock = threading.Lock()
        self.refresh()
        if not self.versions:
            raise FileNotFoundError(f"{self.base_path}: no saved_model.pb and no numeric version folders holding one")

    def refresh(self) -> None:
        """Load version folders not loaded yet."""
        import tensorflow as tf

        if (self.base_path / "saved_model.pb").exists():
            paths = {1: self.base_path}
        else:
            paths = {
                int(p.name): p for p in self.base_path.iterdir() if p.name.isdigit() and (p / "saved_model.pb").exists()
            }
        with self._load_lock:
            for version, path in paths.items():
                if version not in self.versions:
                    self.versions[version] = tf.saved_model.load(str(path))

    @property
    def latest(self) -> int:
        return max(self.versions)

    def resolve(self, name: str, version: int | None) -> int:
        self.refresh()
        if name != self.name or (version is not None and version not in self.versions):
            wanted = f"Latest({name})" if version is None else f"Specific({name}, {version})"
            raise ServingError("NOT_FOUND", f"Servable not found for request: {wanted}")
        return self.latest if version is None else version

    def signature(self, version: int, signature_name: str) -> Any:
        signature_name = signature_name or DEFAULT_SIGNATURE
        signatures = self.versions[version].signatures
        if signature_name not in signatures:
            raise ServingError("FAILED_PRECONDITION", f'Serving signature key "{signature_name}" not found.')
        return signatures[signature_name]

    def input_specs(self, version: int, signature_name: str) -> dict[str, Any]:
        return dict(self.signature(version, signature_name).structured_input_signature[1])

    def predict(
        self, name: str, version: int | None, signature_name: str, inputs: dict[str, Any]
    ) -> tuple[int, dict[str, np.ndarray]]:
        """(version that answered, outputs as arrays). Inputs are arrays (gRPC) or JSON values (REST),
        which take the signature's dtypes as TF Serving's JSON parser does."""
        self.faults.count(signature_name or DEFAULT_SIGNATURE)
        self.faults.started()
        try:
            time.sleep(self.faults.delay_s)
            return self._predict(name, version, signature_name, inputs)
        finally:
            self.faults.finished()

    def _predict(
        self, name: str, version: int | None, signature_name: str, inputs: dict[str, Any]
    ) -> tuple[int, dict[str, np.ndarray]]:
        import tensorflow as tf

        version = self.resolve(name, version)
        function = self.signature(version, signature_name)
        if (fault := self.faults.take(signature_name or DEFAULT_SIGNATURE)) is not None:
            raise ServingError(fault, f"injected {fault} (stand-in fault)")
        specs = self.input_specs(version, signature_name)
        if set(inputs) != set(specs):
            raise ServingError(
                "INVALID_ARGUMENT",
                f"input size does not match signature: {len(inputs)}!={len(specs)} len({{{','.join(sorted(inputs))}}}) "
                f"!= len({{{','.join(sorted(specs))}}}).",
            )
        tensors = {}
        for key, value in inputs.items():
            if not isinstance(value, np.ndarray):
                value = np.asarray(value, dtype=specs[key].dtype.as_numpy_dtype)
            if value.dtype != specs[key].dtype.as_numpy_dtype:
                raise ServingError(
                    "INVALID_ARGUMENT", f"Expects arg {key} to be {specs[key].dtype.name} but {value.dtype} is provided"
                )
            if key == "waveform":
                self.faults.saw_waveform(value.size)
            tensors[key] = tf.constant(value)
        try:
            outputs = function(**tensors)
        except (tf.errors.InvalidArgumentError, ValueError, TypeError) as error:
            raise ServingError("INVALID_ARGUMENT", str(error).splitlines()[0]) from error
        return version, {key: value.numpy() for key, value in outputs.items()}
