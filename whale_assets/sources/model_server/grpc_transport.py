"""TF Serving's gRPC API: `tensorflow.serving.PredictionService/Predict` with real TensorProtos."""

from __future__ import annotations

import numpy as np

from whale_assets.sources.model_server import protos
from whale_assets.sources.model_server.errors import ModelServerError, request_failure
from whale_assets.sources.model_server.spec import ServedModelSpec
from whale_assets.sources.model_server.transport import MAX_MESSAGE_BYTES, Prediction


class GrpcTransport:
    def __init__(self, spec: ServedModelSpec, timeout_s: float) -> None:
        import grpc

        self.spec = spec
        self.timeout_s = timeout_s
        self._channel = grpc.insecure_channel(
            spec.server.target,
            options=[
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ],
        )
        self._predict = self._channel.unary_unary(
            protos.PREDICT_METHOD,
            request_serializer=protos.PredictRequest.SerializeToString,
            response_deserializer=protos.PredictResponse.FromString,
        )

    def predict(self, signature: str, inputs: dict[str, np.ndarray], output_names: tuple[str, ...]) -> Prediction:
        import grpc

        request = protos.PredictRequest()
        request.model_spec.name = self.spec.name
        request.model_spec.signature_name = signature
        if self.spec.version is not None:
            request.model_spec.version.value = self.spec.version
        for key, value in inputs.items():
            tensor = protos.float32_tensor(value) if value.dtype == np.float32 else protos.int64_scalar(int(value))
            request.inputs[key].CopyFrom(tensor)
        try:
            response = self._predict(request, timeout=self.timeout_s)
        except grpc.RpcError as error:
            raise request_failure(self.spec, signature, error.code().name, error.details() or "") from error
        missing = [name for name in output_names if name not in response.outputs]
        if missing:
            raise ModelServerError(
                f"{self.spec} signature {signature!r} returned outputs {sorted(response.outputs)}, not {missing}",
                transient=False,
                what_to_do="serve Google's humpback whale SavedModel under that name",
            )
        outputs = {name: protos.tensor_to_numpy(response.outputs[name]) for name in output_names}
        version = response.model_spec.version.value if response.model_spec.HasField("version") else None
        return Prediction(outputs, version)

    def served_version(self) -> int | None:
        return None  # every Predict response names it

    def close(self) -> None:
        self._channel.close()
