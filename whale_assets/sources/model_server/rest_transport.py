"""TF Serving's REST API: `POST /v1/models/NAME[/versions/N]:predict` with columnar `inputs`.

Row `instances` cannot carry the scalar `context_step_samples`, so requests are columnar; a
signature with a single output answers `{"outputs": value}` without the output's name. Float32
inputs are written with 9 significant digits, which parse back to the same float32 (and format
4x faster than Python's shortest repr: ~0.1 s per 16-window chunk).
"""

from __future__ import annotations

import json
import threading

import numpy as np

from whale_assets.sources.model_server.errors import ModelServerError, request_failure
from whale_assets.sources.model_server.score_probe import ModelMetadata, parse_model_metadata
from whale_assets.sources.model_server.spec import ServedModelSpec
from whale_assets.sources.model_server.transport import Prediction

# TF Serving's REST layer maps its status codes onto HTTP (http_rest_api_handler / util/net_http).
_HTTP_TO_CODE = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504}  # as io_rules.errors.TRANSIENT_STATUS


class RestTransport:
    def __init__(self, spec: ServedModelSpec, connect_s: float, read_s: float) -> None:
        self.spec = spec
        self.timeout = (connect_s, read_s)
        version = "" if spec.version is None else f"/versions/{spec.version}"
        self.model_url = f"{spec.server}/v1/models/{spec.name}{version}"
        self._local = threading.local()  # a requests.Session per thread: sessions are not thread-safe

    def predict(self, signature: str, inputs: dict[str, np.ndarray], output_names: tuple[str, ...]) -> Prediction:
        columns = ", ".join(f"{json.dumps(key)}: {_json_value(value)}" for key, value in inputs.items())
        body = f'{{"signature_name": {json.dumps(signature)}, "inputs": {{{columns}}}}}'
        answer = self._request("POST", f"{self.model_url}:predict", signature, body)
        outputs = answer.get("outputs")
        if not isinstance(outputs, dict):
            if len(output_names) != 1 or outputs is None:
                raise ModelServerError(
                    f"{self.model_url} {signature!r} answered without outputs: {str(answer)[:200]}",
                    transient=False,
                    what_to_do="check WHALE_MODEL_SERVER points at TF Serving",
                )
            outputs = {output_names[0]: outputs}
        missing = [name for name in output_names if name not in outputs]
        if missing:
            raise ModelServerError(
                f"{self.model_url} signature {signature!r} returned outputs {sorted(outputs)}, not {missing}",
                transient=False,
                what_to_do="serve Google's humpback whale SavedModel under that name",
            )
        return Prediction({name: _array(outputs[name]) for name in output_names}, None)

    def model_metadata(self) -> ModelMetadata:
        """`GET .../metadata`: the served version and its signature defs (no Predict needed)."""
        return parse_model_metadata(self._request("GET", f"{self.model_url}/metadata", "model metadata"))

    def served_version(self) -> int | None:
        """The version answering requests: the pinned one, else the highest AVAILABLE (TF Serving's latest)."""
        status = self._request("GET", self.model_url, "model status")
        versions = [int(v["version"]) for v in status.get("model_version_status", []) if v.get("state") == "AVAILABLE"]
        if not versions:
            raise ModelServerError(f"{self.model_url} has no AVAILABLE version yet: {status}", transient=True)
        return max(versions)

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()

    def _request(self, method: str, url: str, what: str, data: str | None = None) -> dict:
        import requests

        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        try:
            response = session.request(
                method, url, data=data, timeout=self.timeout, headers={"Content-Type": "application/json"}
            )
        except (requests.ConnectionError, requests.Timeout) as error:
            raise ModelServerError(f"{url} ({what}): {type(error).__name__}: {error}", transient=True) from error
        if response.status_code != 200:
            detail = _error_text(response)
            code = _HTTP_TO_CODE.get(response.status_code, f"HTTP {response.status_code}")
            if response.status_code in _TRANSIENT_HTTP:
                raise ModelServerError(f"{url} ({what}): HTTP {response.status_code}: {detail}", transient=True)
            raise request_failure(self.spec, what, code, f"HTTP {response.status_code}: {detail}")
        try:
            return response.json()
        except ValueError as error:
            raise ModelServerError(
                f"{url} ({what}) answered non-JSON: {response.text[:200]!r}",
                transient=False,
                what_to_do="check WHALE_MODEL_SERVER points at TF Serving's REST port",
            ) from error


def _error_text(response) -> str:
    try:
        return str(response.json().get("error", response.text))[:500]
    except ValueError:
        return response.text[:500]


def _json_value(array: np.ndarray) -> str:
    """JSON for a numeric array (nested lists) or scalar."""
    if array.dtype != np.float32:
        return json.dumps(array.tolist())
    if not np.isfinite(array).all():
        raise ValueError("the waveform holds NaN or infinity, which JSON cannot carry")
    text = [format(value, ".9g") for value in array.ravel().tolist()]
    for size in reversed(array.shape):
        text = ["[" + ",".join(text[i : i + size]) + "]" for i in range(0, len(text), size)]
    return text[0]


def _array(value) -> np.ndarray:
    array = np.asarray(value)
    return array.astype(np.float32) if array.dtype == np.float64 else array
