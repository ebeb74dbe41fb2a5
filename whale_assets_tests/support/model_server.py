"""A protocol-level stand-in of TensorFlow Serving for tests: its gRPC and REST APIs on loopback.

The TF Serving binary cannot be installed here, so this speaks its protocols from the real
service definitions (`tensorflow_serving.apis.prediction_service_pb2_grpc`, tensorflow-serving-api)
and answers from a SavedModel (`servable.py` has the rules it shares with TF Serving):
- gRPC `tensorflow.serving.PredictionService/Predict`;
- REST `POST /v1/models/NAME[/versions/N]:predict` (columnar `inputs`; a single output comes back
  unnamed; a signature without inputs, such as `metadata`, is refused with 400 as TF Serving's JSON
  layer refuses it: util/json_tensor.cc, "Failed to get input map for signature"),
  `GET /v1/models/NAME[/versions/N]` (status), `GET /v1/models/NAME[/versions/N]/metadata` (the
  signature defs, as TF Serving prints them: dtype names, sizes as strings, -1 for any);
  errors as `{"error": "..."}` with 404 (NOT_FOUND), 400 (INVALID_ARGUMENT, FAILED_PRECONDITION),
  503 (UNAVAILABLE).
Row-format `instances` are refused: the humpback signature's scalar input cannot ride in rows.

In a test: `with running_grpc_model_server(model_dir) as url:` (or `running_rest_model_server`).
As its own process (prints `grpc://127.0.0.1:P http://127.0.0.1:Q` on one line, serves until SIGTERM):

    python -m whale_assets_tests.support.model_server --model DIR [--name humpback_whale] --grpc-port 0 --rest-port 0
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from whale_assets_tests.support.servable import Faults, Servable, ServingError

HOST = "127.0.0.1"
MAX_MESSAGE_BYTES = 2**31 - 1  # TF Serving sets no practical limit on its side either
HTTP_STATUS = {
    "NOT_FOUND": 404,
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
    "RESOURCE_EXHAUSTED": 429,
}


def start_grpc(servable: Servable, port: int = 0):
    """A started grpc.Server on 127.0.0.1 and its port."""
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2, prediction_service_pb2_grpc

    class PredictionService(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):  # noqa: N802 - the generated servicer's method name
            spec = request.model_spec
            version = spec.version.value if spec.HasField("version") else None
            try:
                inputs = {key: tf.make_ndarray(tensor) for key, tensor in request.inputs.items()}
                answered, outputs = servable.predict(spec.name, version, spec.signature_name, inputs)
            except ServingError as error:
                context.abort(getattr(grpc.StatusCode, error.code), str(error))
            response = predict_pb2.PredictResponse()
            response.model_spec.name = spec.name
            response.model_spec.version.value = answered
            response.model_spec.signature_name = spec.signature_name or "serving_default"
            for key, value in outputs.items():
                response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
            return response

    server = grpc.server(
        ThreadPoolExecutor(max_workers=4),
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ],
    )
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(PredictionService(), server)
    bound = server.add_insecure_port(f"{HOST}:{port}")
    server.start()
    return server, bound


_MODEL_PATH = re.compile(r"^/v1/models/(?P<name>[^/:]+)(?:/versions/(?P<version>\d+))?(?P<what>:predict|/metadata)?$")


def start_rest(servable: Servable, port: int = 0) -> ThreadingHTTPServer:
    """A started HTTP server thread on 127.0.0.1 (its port: `server.server_address[1]`)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet test output
            pass

        def do_GET(self) -> None:  # noqa: N802
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

        def _route(self, method: str) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            match = _MODEL_PATH.match(self.path)
            try:
                if match is None:
                    raise ServingError("NOT_FOUND", f"Malformed request: {method} {self.path}")
                name, what = match["name"], match["what"]
                version = int(match["version"]) if match["version"] else None
                if method == "POST" and what == ":predict":
                    answer = _rest_predict(servable, name, version, body)
                elif method == "GET" and what is None:
                    answer = _rest_status(servable, name, version)
                elif method == "GET" and what == "/metadata":
                    answer = _rest_metadata(servable, name, version)
                else:
                    raise ServingError("NOT_FOUND", f"Malformed request: {method} {self.path}")
                self._send(200, answer)
            except ServingError as error:
                self._send(HTTP_STATUS.get(error.code, 500), {"error": str(error)})

        def _send(self, status: int, answer: dict) -> None:
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer((HOST, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="stand-in-rest", daemon=True).start()
    return server


def _rest_predict(servable: Servable, name: str, version: int | None, body: bytes) -> dict:
    try:
        request = json.loads(body)
    except ValueError as error:
        raise ServingError("INVALID_ARGUMENT", f"JSON Parse error: {error}") from error
    if "inputs" not in request:
        raise ServingError("INVALID_ARGUMENT", "Missing 'inputs' key (the stand-in speaks the columnar format only)")
    signature_name = request.get("signature_name", "")
    if not servable.input_specs(servable.resolve(name, version), signature_name):
        raise ServingError("INVALID_ARGUMENT", f"Failed to get input map for signature: {signature_name or 'DEFAULT'}")
    inputs = request["inputs"] if isinstance(request["inputs"], dict) else {}
    _, outputs = servable.predict(name, version, signature_name, inputs)
    values = {key: _json_value(value) for key, value in outputs.items()}
    return {"outputs": next(iter(values.values())) if len(values) == 1 else values}


def _json_value(value: np.ndarray):
    if value.dtype == object:
        return np.vectorize(lambda item: item.decode() if isinstance(item, bytes) else item, otypes=[object])(
            value
        ).tolist()
    return value.tolist()


def _rest_status(servable: Servable, name: str, version: int | None) -> dict:
    if name != servable.name or (version is not None and version not in servable.versions):
        raise ServingError("NOT_FOUND", f"Could not find any versions of model {name}")
    versions = sorted(servable.versions, reverse=True) if version is None else [version]
    return {
        "model_version_status": [
            {"version": str(v), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
            for v in versions
        ]
    }


def _rest_metadata(servable: Servable, name: str, version: int | None) -> dict:
    servable.faults.metadata_requests += 1
    answered = servable.resolve(name, version)
    signatures = {}
    for key, function in servable.versions[answered].signatures.items():
        inputs = {k: _tensor_info(spec, f"{key}_{k}:0") for k, spec in function.structured_input_signature[1].items()}
        outputs = {
            k: _tensor_info(spec, f"StatefulPartitionedCall:{i}")
            for i, (k, spec) in enumerate(sorted(function.structured_outputs.items()))
        }
        signatures[key] = {
            "inputs": inputs,
            "outputs": outputs,
            "method_name": "tensorflow/serving/predict",
            "defaults": {},
        }
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(answered)},
        "metadata": {"signature_def": {"signature_def": signatures}},
    }


def _tensor_info(spec, tensor_name: str) -> dict:
    """A TensorInfo as TF Serving's JSON printer writes it (enum names, int64 as strings, defaults printed)."""
    from tensorflow.core.framework import types_pb2

    if spec.shape.rank is None:
        shape = {"dim": [], "unknown_rank": True}
    else:
        shape = {
            "dim": [{"size": str(-1 if d is None else d), "name": ""} for d in spec.shape.as_list()],
            "unknown_rank": False,
        }
    return {"dtype": types_pb2.DataType.Name(spec.dtype.as_datatype_enum), "tensor_shape": shape, "name": tensor_name}


@contextmanager
def running_grpc_model_server(
    model_dir: Path, name: str = "humpback_whale", faults: Faults | None = None
) -> Iterator[str]:
    """Serve `model_dir` over gRPC on loopback; yields `grpc://127.0.0.1:PORT`."""
    server, port = start_grpc(Servable(model_dir, name, faults))
    try:
        yield f"grpc://{HOST}:{port}"
    finally:
        server.stop(grace=None).wait()


@contextmanager
def running_rest_model_server(
    model_dir: Path, name: str = "humpback_whale", faults: Faults | None = None
) -> Iterator[str]:
    """Serve `model_dir` over TF Serving's REST API on loopback; yields `http://127.0.0.1:PORT`."""
    server = start_rest(Servable(model_dir, name, faults))
    try:
        yield f"http://{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="SavedModel dir, or a base dir of version folders")
    parser.add_argument("--name", default="humpback_whale")
    parser.add_argument("--grpc-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--rest-port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    servable = Servable(args.model, args.name)
    grpc_server, grpc_port = start_grpc(servable, args.grpc_port)
    rest_server = start_rest(servable, args.rest_port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"grpc://{HOST}:{grpc_port} http://{HOST}:{rest_server.server_address[1]}", flush=True)
    stop.wait()
    rest_server.shutdown()
    grpc_server.stop(grace=1).wait()


if __name__ == "__main__":
    main()
