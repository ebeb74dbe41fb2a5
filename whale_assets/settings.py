"""Deployment settings, read once from the environment when the code location loads."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from whale_assets.core.hydrophone import PUBLIC_ARCHIVE
from whale_assets.sources.humpback_model import DEFAULT_HANDLE, MODEL_ENV_VAR

CLASSIFIERS = ("humpback", "energy")
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

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            data_dir=data_dir_from_env(env),
            encounters=_encounter_source(env.get("WHALE_ENCOUNTERS", HAPPYWHALE)),
            audio_source=_audio_source(env.get("WHALE_AUDIO_SOURCE", PUBLIC_ARCHIVE)),
            audio_endpoint_url=env.get("WHALE_AUDIO_ENDPOINT_URL") or None,
            classifier=_one_of("WHALE_CLASSIFIER", env.get("WHALE_CLASSIFIER", "humpback"), CLASSIFIERS),
            model=env.get(MODEL_ENV_VAR, DEFAULT_HANDLE),
            **_storage(env),
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


def database_path(data_dir: Path) -> Path:
    return data_dir / "whale.duckdb"


def _one_of(name: str, value: str, valid: tuple[str, ...]) -> str:
    if value not in valid:
        raise SettingsError(f"{name}={value!r} is not valid; use one of: {', '.join(valid)}")
    return value


def _storage(env: Mapping[str, str]) -> dict[str, str | None]:
    storage = _one_of("WHALE_STORAGE", env.get("WHALE_STORAGE", "local"), STORAGE_MODES)
    bucket = env.get("WHALE_S3_BUCKET") or None
    if storage == "s3" and not bucket:
        raise SettingsError("WHALE_STORAGE=s3 needs WHALE_S3_BUCKET (and optionally WHALE_S3_PREFIX)")
    prefix = env.get("WHALE_S3_PREFIX", "whale_assets").strip("/")
    return {"storage": storage, "s3_bucket": bucket, "s3_prefix": prefix}


def _encounter_source(value: str) -> str:
    if value == HAPPYWHALE:
        return value
    return _existing_directory(
        "WHALE_ENCOUNTERS", value, f"{HAPPYWHALE!r} (search the Happywhale API), or an existing directory of CSV exports"
    )


def _audio_source(value: str) -> str:
    valid = f"s3://bucket[/prefix] (default {PUBLIC_ARCHIVE}), or a local directory in the archive layout"
    if value.startswith("s3://"):
        return value.rstrip("/")
    if "://" in value:
        raise SettingsError(f"WHALE_AUDIO_SOURCE={value!r} is not valid; use one of: {valid}")
    return _existing_directory("WHALE_AUDIO_SOURCE", value, valid)


def _existing_directory(name: str, value: str, valid: str) -> str:
    directory = Path(value).expanduser().resolve()
    if not directory.is_dir():
        raise SettingsError(f"{name}={value!r} is not an existing directory; use one of: {valid}")
    return str(directory)
