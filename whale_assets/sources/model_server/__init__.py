"""The humpback model served by TensorFlow Serving (`WHALE_CLASSIFIER=served`): a small TF-free client.

`WHALE_MODEL_SERVER` = `grpc://host:8500` (gRPC `PredictionService/Predict`) or `http://host:8501`
(REST `:predict`), `WHALE_MODEL_NAME` (default `humpback_whale`), `WHALE_MODEL_VERSION` (unset =
the latest the server has). `load_served_model(spec)` returns a `Classifier`.
"""

from whale_assets.sources.model_server.client import ServedModel, load_served_model, served_label
from whale_assets.sources.model_server.errors import ModelServerError
from whale_assets.sources.model_server.retry import Backoff
from whale_assets.sources.model_server.spec import (
    DEFAULT_MODEL_NAME,
    NAME_ENV,
    SERVER_ENV,
    VERSION_ENV,
    ModelServerAddress,
    ServedModelSpec,
    parse_server,
    parse_version,
    served_model_spec_from_env,
)

__all__ = [
    "DEFAULT_MODEL_NAME",
    "NAME_ENV",
    "SERVER_ENV",
    "VERSION_ENV",
    "Backoff",
    "ModelServerAddress",
    "ModelServerError",
    "ServedModel",
    "ServedModelSpec",
    "load_served_model",
    "parse_server",
    "parse_version",
    "served_label",
    "served_model_spec_from_env",
]
