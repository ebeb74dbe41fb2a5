"""The client's TF Serving messages are the real ones, and the client never imports TensorFlow."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from whale_assets.sources.model_server import protos
from whale_assets.sources.model_server._tf_serving_descriptors import FILES
from whale_assets_tests.support.tf_serving_descriptors import serialized_descriptors

ROOT = Path(__file__).resolve().parents[3]


def _fields(descriptor, seen=None) -> dict[str, tuple]:
    """Every field reachable from a message: path -> (number, type, label, enum values)."""
    seen = set() if seen is None else seen
    if descriptor.full_name in seen:
        return {}
    seen.add(descriptor.full_name)
    found = {}
    for field in descriptor.fields:
        enum = tuple((v.name, v.number) for v in field.enum_type.values) if field.enum_type else ()
        found[f"{descriptor.full_name}.{field.name}"] = (field.number, field.type, field.label, enum)
        if field.message_type is not None:
            found.update(_fields(field.message_type, seen))
    return found


def test_the_kept_messages_are_wire_compatible_with_the_installed_tensorflow_serving_api():
    from tensorflow_serving.apis import predict_pb2

    for ours, theirs in (
        (protos.PredictRequest, predict_pb2.PredictRequest),
        (protos.PredictResponse, predict_pb2.PredictResponse),
    ):
        kept, installed = _fields(ours.DESCRIPTOR), _fields(theirs.DESCRIPTOR)
        for path, (number, kind, label, enum) in kept.items():
            assert path in installed, path
            assert installed[path][:3] == (number, kind, label), path
            assert set(enum) <= set(installed[path][3]), path  # newer releases may add data types


def test_the_kept_descriptors_are_the_files_predict_proto_depends_on():
    # A newer tensorflow-serving-api may change these files (new data types): regenerate with
    # `python -m whale_assets_tests.support.tf_serving_descriptors`; the test above guards the wire format.
    assert [name for name, _ in FILES] == [name for name, _ in serialized_descriptors()]


def test_the_predict_method_path_is_the_services_own():
    from tensorflow_serving.apis import prediction_service_pb2

    method = prediction_service_pb2.DESCRIPTOR.services_by_name["PredictionService"].methods_by_name["Predict"]
    assert protos.PREDICT_METHOD == f"/{method.containing_service.full_name}/{method.name}"


def test_a_request_built_by_the_client_parses_as_tensorflow_servings_own_message():
    import tensorflow as tf
    from tensorflow_serving.apis import predict_pb2

    waveform = np.random.default_rng(0).normal(-0.0034, 8e-5, (2, 500, 1)).astype(np.float32)
    request = protos.PredictRequest()
    request.model_spec.name = "humpback_whale"
    request.model_spec.signature_name = "score"
    request.model_spec.version.value = 3
    request.inputs["waveform"].CopyFrom(protos.float32_tensor(waveform))
    request.inputs["context_step_samples"].CopyFrom(protos.int64_scalar(10_000))

    parsed = predict_pb2.PredictRequest.FromString(request.SerializeToString())

    assert (parsed.model_spec.name, parsed.model_spec.signature_name, parsed.model_spec.version.value) == (
        "humpback_whale",
        "score",
        3,
    )
    np.testing.assert_array_equal(tf.make_ndarray(parsed.inputs["waveform"]), waveform)
    assert tf.make_ndarray(parsed.inputs["context_step_samples"]) == 10_000
    # And back: TensorFlow's own tensor protos (strings, scalars, arrays) read by the client.
    for value in (np.array([b"Mn"]), np.int64(39_124), np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3, 1)):
        proto = protos.TensorProto.FromString(tf.make_tensor_proto(value).SerializeToString())
        np.testing.assert_array_equal(protos.tensor_to_numpy(proto), value)


_CLIENT = """
import json, sys
import numpy as np
from whale_assets.resources import ClassifierResource
from whale_assets.sources.model_server import ServedModelSpec, load_served_model, parse_server
counts = {}
for url in sys.argv[1:]:
    model = ClassifierResource(name="served", model_server=url).load()
    rest_of = load_served_model(ServedModelSpec(parse_server(url)))
    audio = np.random.default_rng(1).normal(-0.0034, 8e-5, 300_000).astype(np.float32)
    counts[url] = [int(model.score(audio).size), int(rest_of.score(audio).size)]
print(json.dumps({"tensorflow": sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "tensorflow_serving",
                  "tensorflow_hub", "keras")), "counts": counts}))
"""


def test_loading_and_scoring_through_the_client_never_imports_tensorflow(grpc_url: str, rest_url: str):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _CLIENT, grpc_url, rest_url],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["counts"] == {grpc_url: [27, 27], rest_url: [27, 27]}  # it really scored, over both APIs
    assert report["tensorflow"] == []
