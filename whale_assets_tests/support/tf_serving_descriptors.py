"""Write `whale_assets/sources/model_server/_tf_serving_descriptors.py` from tensorflow-serving-api.

The served-model client needs TF Serving's Predict messages but must not import TensorFlow, and
`tensorflow_serving.apis.predict_pb2` imports `tensorflow.core.framework.tensor_pb2`, which runs
`tensorflow/__init__` (the whole framework). So the client keeps a copy of the serialized file
descriptors (what protoc embeds in every `_pb2` module) of `predict.proto` and the files it
depends on, taken from the installed tensorflow-serving-api and TensorFlow by this script, and
`whale_assets_tests/sources/model_server/test_protos.py` fails when they drift apart.

    PYTHONPATH=$PWD .venv/bin/python -m whale_assets_tests.support.tf_serving_descriptors
"""

from __future__ import annotations

from pathlib import Path

import whale_assets.sources.model_server as model_server

TARGET = Path(model_server.__file__).parent / "_tf_serving_descriptors.py"
BUILT_IN = "google/protobuf/"
"""Well-known types ship with protobuf itself; the client takes them from there."""


def serialized_descriptors() -> list[tuple[str, bytes]]:
    """(file name, serialized FileDescriptorProto) of predict.proto and its dependencies, dependencies first."""
    from tensorflow_serving.apis import predict_pb2

    ordered: list[tuple[str, bytes]] = []

    def visit(descriptor) -> None:
        for dependency in descriptor.dependencies:
            visit(dependency)
        if descriptor.name.startswith(BUILT_IN) or any(name == descriptor.name for name, _ in ordered):
            return
        ordered.append((descriptor.name, descriptor.serialized_pb))

    visit(predict_pb2.DESCRIPTOR)
    return ordered


def module_source() -> str:
    import tensorflow_serving

    version = getattr(tensorflow_serving, "__version__", None)
    if version is None:
        from importlib.metadata import version as installed_version

        version = installed_version("tensorflow-serving-api")
    lines = [
        '"""Serialized file descriptors of TF Serving\'s predict.proto and its dependencies (Apache-2.0).',
        "",
        f"Generated from tensorflow-serving-api {version} by",
        "`python -m whale_assets_tests.support.tf_serving_descriptors`; do not edit. See protos.py.",
        '"""',
        "",
        "FILES: tuple[tuple[str, bytes], ...] = (",
    ]
    for name, data in serialized_descriptors():
        lines.append(f"    ({name!r}, {data!r}),")
    lines.append(")")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TARGET.write_text(module_source())
    print(f"wrote {TARGET}")
