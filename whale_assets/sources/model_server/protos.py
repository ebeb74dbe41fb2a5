"""TF Serving's Predict messages without TensorFlow: the real descriptors in a private pool.

`tensorflow_serving.apis.predict_pb2` imports `tensorflow.core.framework.tensor_pb2`, and any
`tensorflow.*` import runs `tensorflow/__init__`, loading the whole framework (~1 GB, seconds)
into a process that only sends arrays. The TF-free packages on PyPI that ship these protos are
unmaintained since 2020-2022 and install a top-level `tensorflow` package of their own, which
would shadow the real one. So `_tf_serving_descriptors.py` holds the serialized file descriptors
that protoc embeds in each `_pb2` module (predict.proto and the five files it depends on, ~6 KB,
copied from tensorflow-serving-api by `whale_assets_tests/support/tf_serving_descriptors.py` and
checked against it by the tests), and the message classes are built from them here, as the
generated modules do. A private pool keeps them apart from TensorFlow's own registrations when
both live in one process (the tests' stand-in server): the wire format is the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, wrappers_pb2

from whale_assets.sources.model_server._tf_serving_descriptors import FILES

PREDICT_METHOD = "/tensorflow.serving.PredictionService/Predict"
"""The gRPC method path of `tensorflow.serving.PredictionService.Predict` (prediction_service.proto)."""

_pool = descriptor_pool.DescriptorPool()
_pool.Add(descriptor_pb2.FileDescriptorProto.FromString(wrappers_pb2.DESCRIPTOR.serialized_pb))
for _name, _serialized in FILES:
    _pool.Add(descriptor_pb2.FileDescriptorProto.FromString(_serialized))


def _message(full_name: str) -> type[Any]:
    return message_factory.GetMessageClass(_pool.FindMessageTypeByName(full_name))


PredictRequest = _message("tensorflow.serving.PredictRequest")
PredictResponse = _message("tensorflow.serving.PredictResponse")
TensorProto = _message("tensorflow.TensorProto")

# tensorflow/core/framework/types.proto DataType numbers (the enum is in the pool too).
_DTYPES = {
    name: _pool.FindEnumTypeByName("tensorflow.DataType").values_by_name[name].number
    for name in ("DT_FLOAT", "DT_INT64", "DT_STRING", "DT_INT32", "DT_DOUBLE")
}
_NUMPY_DTYPES = {
    _DTYPES["DT_FLOAT"]: np.float32,
    _DTYPES["DT_DOUBLE"]: np.float64,
    _DTYPES["DT_INT32"]: np.int32,
    _DTYPES["DT_INT64"]: np.int64,
}
_VALUE_FIELDS = {
    _DTYPES["DT_FLOAT"]: "float_val",
    _DTYPES["DT_DOUBLE"]: "double_val",
    _DTYPES["DT_INT32"]: "int_val",
    _DTYPES["DT_INT64"]: "int64_val",
}


def float32_tensor(array: np.ndarray) -> Any:
    """A DT_FLOAT TensorProto carrying `array` as raw little-endian bytes (`tensor_content`)."""
    values = np.ascontiguousarray(array, dtype="<f4")
    tensor = TensorProto(dtype=_DTYPES["DT_FLOAT"], tensor_content=values.tobytes())
    tensor.tensor_shape.dim.extend(tensor.tensor_shape.Dim(size=size) for size in values.shape)
    return tensor


def int64_scalar(value: int) -> Any:
    return TensorProto(dtype=_DTYPES["DT_INT64"], int64_val=[int(value)])


def tensor_to_numpy(tensor: Any) -> np.ndarray:
    """A numeric or string TensorProto as an array (strings as bytes objects)."""
    shape = tuple(dim.size for dim in tensor.tensor_shape.dim)
    if tensor.dtype == _DTYPES["DT_STRING"]:
        return np.array(list(tensor.string_val), dtype=object).reshape(shape)
    if tensor.dtype not in _NUMPY_DTYPES:
        raise ValueError(f"unsupported tensor dtype {tensor.dtype} (DataType enum number)")
    dtype = np.dtype(_NUMPY_DTYPES[tensor.dtype]).newbyteorder("<")
    if tensor.tensor_content:
        values = np.frombuffer(tensor.tensor_content, dtype=dtype)
    else:
        values = np.asarray(getattr(tensor, _VALUE_FIELDS[tensor.dtype]), dtype=dtype)
        if values.size == 1 and int(np.prod(shape)) > 1:  # TF's compact form: one value fills the shape
            values = np.full(int(np.prod(shape)), values[0], dtype=dtype)
    return values.astype(dtype.newbyteorder("="), copy=False).reshape(shape)
