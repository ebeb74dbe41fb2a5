"""Deployment settings, read once from the environment when the code location loads."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

from whale_assets.core.hydrophone import PUBLIC_ARCHIVE
from whale_assets.sources.humpback_model import DEFAULT_HANDLE, MODEL_ENV_VAR
from whale_assets.sources.model_precision import DEFAULT_PRECISION, PRECISION_ENV_VAR, PRECISION_SETTINGS
from whale_assets.sources.model_server.spec import served_model_spec_from_env

CLASSIFIERS = ("humpback", "energy", "served")
STORAGE_MODES = ("local", "s3")
HAPPYWHALE = "happywhale"


class SettingsError(ValueError):
    """A WHALE_* variable has a value the platform cannot use."""


LOOKBACK_ENV = "WHALE_SENSOR_LOOKBACK_DAYS"
DEFAULT_LOOKBACK_DAYS = 7


class LookbackError(SettingsError):
    """WHALE_SENSOR_LOOKBACK_DAYS has a value the sensor cannot use."""


def lookback_days_from_env(env: Mapping[str, str] | None = None) -> int:
    """`WHALE_SENSOR_LOOKBACK_DAYS` (default 7): how many completed UTC days the sensor looks at."""
    env = os.environ if env is None else env
    raw = env.get(LOOKBACK_ENV, "").strip()
    if not raw:
        return DEFAULT_LOOKBACK_DAYS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise LookbackError(
            f"{LOOKBACK_ENV}={raw!r} is not valid; use a positive integer number of days "
            f"(1, 2, 3, ...; default {DEFAULT_LOOKBACK_DAYS})"
        )
    return value


STALE_RUN_ENV = "WHALE_SENSOR_STALE_RUN_HOURS"
# Far beyond any real run (a day's pipeline takes minutes, full-day scoring under an hour) and
# beyond dagster.yaml's run_monitoring max_runtime_seconds, which ends hung runs first.
DEFAULT_STALE_RUN_HOURS = 12.0


def stale_run_hours_from_env(env: Mapping[str, str] | None = None) -> float:
    """`WHALE_SENSOR_STALE_RUN_HOURS` (default 12): a run STARTED longer ago is taken for dead by the sensor."""
    env = os.environ if env is None else env
    raw = env.get(STALE_RUN_ENV, "").strip()
    if not raw:
        return DEFAULT_STALE_RUN_HOURS
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if not (value > 0 and math.isfinite(value)):
        raise SettingsError(
            f"{STALE_RUN_ENV}={raw!r} is not valid; use a positive number of hours (default {DEFAULT_STALE_RUN_HOURS:g})"
        )
    return value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    encounters: str
    """`happywhale`, or an absolute directory of Happywhale CSV exports."""
    audio_source: str
    audio_endpoint_url: str | None
    classifier: str
    model: str
    storage: str = "local"
    s3_bucket: str | None = None
    s3_prefix: str = "whale_assets"
    shared_local_storage: bool = False
    """`WHALE_SHARED_LOCAL_STORAGE=1`: every run, wherever launched, mounts WHALE_DATA_DIR (a shared volume)."""
    model_server: str | None = None
    """`WHALE_MODEL_SERVER` (grpc://host:8500 or http://host:8501), needed by `served`."""
    model_name: str = "humpback_whale"
    model_version: int | None = None
    model_precision: str = DEFAULT_PRECISION
    """`float32`, `bfloat16`, `int8` or `auto`: the humpback model's arithmetic (WHALE_MODEL_PRECISION)."""
    reviews_dir: str | None = None
    """`WHALE_REVIEWS_DIR`: where analysts drop reviewed tables (default: `reviews/` under the storage root)."""

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        _check_network_limits(env)
        return cls(
            data_dir=data_dir_from_env(env),
            encounters=_encounter_source(env.get("WHALE_ENCOUNTERS", HAPPYWHALE)),
            audio_source=_audio_source(env.get("WHALE_AUDIO_SOURCE", PUBLIC_ARCHIVE)),
            audio_endpoint_url=_endpoint_url("WHALE_AUDIO_ENDPOINT_URL", env.get("WHALE_AUDIO_ENDPOINT_URL") or None),
            classifier=_one_of("WHALE_CLASSIFIER", env.get("WHALE_CLASSIFIER", "humpback"), CLASSIFIERS),
            model=env.get(MODEL_ENV_VAR, DEFAULT_HANDLE),
            model_precision=_one_of(
                PRECISION_ENV_VAR, env.get(PRECISION_ENV_VAR, "").strip() or DEFAULT_PRECISION, PRECISION_SETTINGS
            ),
            reviews_dir=_reviews_dir(env.get("WHALE_REVIEWS_DIR", "")),
            **_storage(env),
            **_served_model(env),
        )

    @property
    def database(self) -> Path:
        return database_path(self.data_dir)

    @property
    def storage_root(self) -> str:
        """Where arrays, tables and figures go: the data directory, or s3://bucket/prefix."""
        if self.storage == "s3":
            return f"s3://{self.s3_bucket}/{self.s3_prefix}".rstrip("/")
        return str(self.data_dir)


def data_dir_from_env(env: Mapping[str, str] | None = None) -> Path:
    """`WHALE_DATA_DIR` made absolute once, so a daemon or run worker started elsewhere agrees."""
    env = os.environ if env is None else env
    return Path(env.get("WHALE_DATA_DIR", "./data")).expanduser().resolve()


DATA_DIR_HELP = "point WHALE_DATA_DIR at a writable directory (it is created if missing; default ./data)"


def prepare_data_dir(data_dir: Path) -> Path:
    """Create the local data directory if needed and prove it writable, else SettingsError.

    Checked when the code location loads, so a bad folder is one clear message there instead of
    a traceback or a DuckDB failure at the end of a long run.
    """
    if data_dir.exists() and not data_dir.is_dir():
        raise SettingsError(f"WHALE_DATA_DIR={data_dir} is a file, not a directory; {DATA_DIR_HELP}")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(f"WHALE_DATA_DIR={data_dir} cannot be created ({_why(error)}); {DATA_DIR_HELP}") from error
    try:
        _prove_writable(data_dir)
    except OSError as error:
        raise SettingsError(f"WHALE_DATA_DIR={data_dir} is not writable ({_why(error)}); {DATA_DIR_HELP}") from error
    return data_dir


def _prove_writable(directory: Path) -> None:
    # A real write: permission bits say nothing for root, and a read-only mount shows only on writing.
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".whale-write-check-"):
        pass


def _why(error: OSError) -> str:
    where = f": {error.filename}" if error.filename else ""
    return f"{error.strerror or error}{where}"


def database_path(data_dir: Path) -> Path:
    return data_dir / "whale.duckdb"


def _one_of(name: str, value: str, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise SettingsError(f"{name}={value!r} is not valid; use one of: {', '.join(valid)}")
    return value


class _StorageFields(TypedDict):
    storage: str
    s3_bucket: str | None
    s3_prefix: str
    shared_local_storage: bool


class _ServedModelFields(TypedDict, total=False):
    model_server: str
    model_name: str
    model_version: int | None


def _storage(env: Mapping[str, str]) -> _StorageFields:
    storage = _one_of("WHALE_STORAGE", env.get("WHALE_STORAGE", "local"), STORAGE_MODES)
    bucket = env.get("WHALE_S3_BUCKET") or None
    if storage == "s3" and not bucket:
        raise SettingsError("WHALE_STORAGE=s3 needs WHALE_S3_BUCKET (and optionally WHALE_S3_PREFIX)")
    prefix = env.get("WHALE_S3_PREFIX", "whale_assets").strip("/")
    shared = _one_of("WHALE_SHARED_LOCAL_STORAGE", env.get("WHALE_SHARED_LOCAL_STORAGE", "0"), ("0", "1")) == "1"
    return {"storage": storage, "s3_bucket": bucket, "s3_prefix": prefix, "shared_local_storage": shared}


def _served_model(env: Mapping[str, str]) -> _ServedModelFields:
    """`WHALE_MODEL_SERVER`/`_NAME`/`_VERSION`: required and checked with WHALE_CLASSIFIER=served."""
    if env.get("WHALE_CLASSIFIER") != "served":
        return {}
    try:
        spec = served_model_spec_from_env(env)
    except ValueError as error:
        raise SettingsError(str(error)) from error
    return {"model_server": str(spec.server), "model_name": spec.name, "model_version": spec.version}


def _encounter_source(value: str) -> str:
    if value == HAPPYWHALE:
        return value
    valid = f"{HAPPYWHALE!r} (search the Happywhale API), or a directory of CSV exports"
    if "://" in value:
        raise SettingsError(f"WHALE_ENCOUNTERS={value!r} is not valid; use one of: {valid}")
    return _local_directory("WHALE_ENCOUNTERS", value, valid)


def _check_network_limits(env: Mapping[str, str]) -> None:
    """The WHALE_*_TIMEOUT_S / WHALE_NETWORK_ATTEMPTS bounds, checked when the code location loads
    (each client reads them again when it is made)."""
    from whale_assets.io_rules.network import network_timeouts_from_env

    try:
        network_timeouts_from_env(env)
    except ValueError as error:
        raise SettingsError(str(error)) from None


def _endpoint_url(name: str, value: str | None) -> str | None:
    """An endpoint URL without credentials: a password there would be retried, logged and shown."""
    if value is None:
        return None
    try:
        parts = urlsplit(value)
        has_credentials = parts.username is not None or parts.password is not None
    except ValueError:
        raise SettingsError(f"{name} is not a URL (e.g. https://s3.example.org:9000)") from None
    if has_credentials:
        host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
        shown = parts._replace(netloc=host).geturl()
        raise SettingsError(
            f"{name} holds a user name or password ({shown} without them); remove them from the URL and give "
            "credentials the standard way (AWS_PROFILE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a role)"
        )
    return value


def _audio_source(value: str) -> str:
    valid = f"s3://bucket[/prefix] (default {PUBLIC_ARCHIVE}), or a local directory in the archive layout"
    if value.startswith("s3://"):
        return value.rstrip("/")
    if "://" in value:
        raise SettingsError(f"WHALE_AUDIO_SOURCE={value!r} is not valid; use one of: {valid}")
    return _local_directory("WHALE_AUDIO_SOURCE", value, valid)


def _local_directory(name: str, value: str, valid: str) -> str:
    """The absolute path. Whether the folder exists is checked when a run or the sensor reads it:
    a folder that is unmounted or moved must not take the UI and the sensor down with it."""
    if not value.strip():
        raise SettingsError(f"{name} is empty; use one of: {valid}")
    return str(Path(value).expanduser().resolve())


def _reviews_dir(value: str) -> str | None:
    """A local folder (made absolute) or an s3:// URL; unset: `reviews/` under the storage root."""
    if not value.strip():
        return None
    if value.startswith("s3://"):
        return value.rstrip("/")
    if "://" in value:
        raise SettingsError(f"WHALE_REVIEWS_DIR={value!r} is not valid; use a local directory or s3://bucket/prefix")
    return str(Path(value).expanduser().resolve())
