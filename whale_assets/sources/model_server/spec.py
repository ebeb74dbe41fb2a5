"""Which served model to use: `WHALE_MODEL_SERVER`, `WHALE_MODEL_NAME`, `WHALE_MODEL_VERSION`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

SERVER_ENV, NAME_ENV, VERSION_ENV = "WHALE_MODEL_SERVER", "WHALE_MODEL_NAME", "WHALE_MODEL_VERSION"
DEFAULT_MODEL_NAME = "humpback_whale"
DEFAULT_PORTS = {"grpc": 8500, "http": 8501, "https": 8501}
"""TF Serving's defaults: gRPC on --port=8500, REST on --rest_api_port=8501."""
SERVER_HELP = "use grpc://host:8500 (TF Serving's gRPC port) or http://host:8501 (its REST port)"


@dataclass(frozen=True)
class ModelServerAddress:
    scheme: str
    """`grpc`, or `http`/`https` for the REST API."""
    host: str
    port: int

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def is_grpc(self) -> bool:
        return self.scheme == "grpc"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.target}"


@dataclass(frozen=True)
class ServedModelSpec:
    server: ModelServerAddress
    name: str = DEFAULT_MODEL_NAME
    version: int | None = None
    """None: whatever version the server serves (its latest)."""

    def __str__(self) -> str:
        version = "" if self.version is None else f"/versions/{self.version}"
        return f"{self.server}/models/{self.name}{version}"


def parse_server(value: str) -> ModelServerAddress:
    """`grpc://host[:port]` or `http(s)://host[:port]`; ValueError naming WHALE_MODEL_SERVER otherwise."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port == -1 or parts.path.strip("/"):
        raise ValueError(f"{SERVER_ENV}={value!r} is not valid; {SERVER_HELP}")
    return ModelServerAddress(parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme])


def parse_version(value: str | int | None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        version = int(value)
    except ValueError:
        version = 0
    if version < 1:
        raise ValueError(
            f"{VERSION_ENV}={value!r} is not valid; use a positive model version number, or leave it unset"
        )
    return version


def served_model_spec_from_env(env: Mapping[str, str] | None = None) -> ServedModelSpec:
    env = os.environ if env is None else env
    server = env.get(SERVER_ENV, "").strip()
    if not server:
        raise ValueError(f"WHALE_CLASSIFIER=served needs {SERVER_ENV}; {SERVER_HELP}")
    name = env.get(NAME_ENV, "").strip() or DEFAULT_MODEL_NAME
    return ServedModelSpec(parse_server(server), name, parse_version(env.get(VERSION_ENV)))
