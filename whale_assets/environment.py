"""Every `WHALE_*` environment variable the platform reads: name, default and meaning, in one place.

The documentation's environment reference is generated from this list, and a test holds it
against the variable names the package's code actually reads, so neither can drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ReadWhen(Enum):
    LOAD = "when the code location loads"
    CLIENT = "when an S3 or HTTP client is made"
    SENSOR = "by the daily sensor, on each tick"
    DEPLOY_INIT = "by `whale-assets deploy-init` only"
    WORLD = "by the offline world's real-song units (tests and benchmarks)"


@dataclass(frozen=True)
class EnvironmentVariable:
    name: str
    default: str | None  # None: unset unless given
    meaning: str
    read: ReadWhen = ReadWhen.LOAD


ENVIRONMENT_VARIABLES: tuple[EnvironmentVariable, ...] = (
    EnvironmentVariable(
        "WHALE_DATA_DIR",
        "./data",
        "Where arrays (`<asset>/<YYYY-MM-DD>/`), figures and `whale.duckdb` go; made absolute once at load, so the "
        "daemon and run workers agree; created if missing.",
    ),
    EnvironmentVariable(
        "WHALE_ENCOUNTERS",
        "happywhale",
        "`happywhale` (the live API) or a directory of Happywhale CSV or GeoJSON exports (searched recursively).",
    ),
    EnvironmentVariable(
        "WHALE_AUDIO_SOURCE",
        "s3://pacific-sound-16khz",
        "`s3://bucket[/prefix]` or a local directory in the archive layout (`YYYY/MM/MARS-YYYYMMDDT000000Z-16kHz.wav`).",
    ),
    EnvironmentVariable(
        "WHALE_AUDIO_ENDPOINT_URL",
        None,
        "Endpoint of an S3-compatible server for `WHALE_AUDIO_SOURCE` (`AWS_ENDPOINT_URL_S3` also works).",
    ),
    EnvironmentVariable(
        "WHALE_CLASSIFIER",
        "humpback",
        "`humpback` (Google's model, in process), `energy` (model-free band-energy detector) or `served` "
        "(Google's model on a TF Serving instance).",
    ),
    EnvironmentVariable(
        "WHALE_MODEL", "https://tfhub.dev/google/humpback_whale/1", "TF Hub handle or local SavedModel directory."
    ),
    EnvironmentVariable(
        "WHALE_MODEL_PRECISION",
        "float32",
        "The arithmetic the in-process `humpback` model runs in: `float32`, `bfloat16`, `int8` (a calibrated LiteRT "
        "conversion, cached; needs whale_assets[int8]), or `auto` (bfloat16 where the CPU has native bfloat16, "
        "`avx512_bf16` or AMX; float32 elsewhere); see the model precision guide.",
    ),
    EnvironmentVariable(
        "WHALE_MODEL_SERVER",
        None,
        "For `served`: `grpc://host:8500` (TF Serving's gRPC port) or `http://host:8501` (its REST port); required.",
    ),
    EnvironmentVariable("WHALE_MODEL_NAME", "humpback_whale", "For `served`: the model name on the server."),
    EnvironmentVariable(
        "WHALE_MODEL_VERSION", None, "For `served`: pin a model version; unset = the latest the server has loaded."
    ),
    EnvironmentVariable(
        "WHALE_STORAGE",
        "local",
        "`local` (files and `whale.duckdb` under `WHALE_DATA_DIR`) or `s3` (required by multi-node deployments).",
    ),
    EnvironmentVariable("WHALE_S3_BUCKET", None, "The results bucket; required with `WHALE_STORAGE=s3`."),
    EnvironmentVariable("WHALE_S3_PREFIX", "whale_assets", "Key prefix inside the results bucket."),
    EnvironmentVariable(
        "WHALE_SHARED_LOCAL_STORAGE",
        "0",
        "`1`: local storage is allowed under a run launcher other than the default one, because every run mounts "
        "the same volume at `WHALE_DATA_DIR`.",
    ),
    EnvironmentVariable(
        "WHALE_REVIEWS_DIR",
        None,
        "Where analysts drop reviewed selection tables (a local folder or `s3://...`); unset: `reviews/` under "
        "the storage root.",
    ),
    EnvironmentVariable(
        "WHALE_CONNECT_TIMEOUT_S", "10", "Seconds to connect, per S3 or HTTP request.", ReadWhen.CLIENT
    ),
    EnvironmentVariable("WHALE_READ_TIMEOUT_S", "60", "Seconds to wait for an answer, per request.", ReadWhen.CLIENT),
    EnvironmentVariable(
        "WHALE_NETWORK_ATTEMPTS",
        "3",
        "Tries per S3 request or model-server request, the first included.",
        ReadWhen.CLIENT,
    ),
    EnvironmentVariable(
        "WHALE_RUN_LAUNCHER",
        None,
        "`local`, `k8s` or `ecs`: which run-size tags the jobs carry (`dagster-k8s/config` for the K8sRunLauncher, "
        "`ecs/cpu`/`ecs/memory` for the EcsRunLauncher, none for local runs); unset: the `run_launcher` class in "
        "`$DAGSTER_HOME/dagster.yaml` decides.",
    ),
    EnvironmentVariable(
        "WHALE_SENSOR_LOOKBACK_DAYS", "7", "How many completed UTC days the daily sensor looks at.", ReadWhen.SENSOR
    ),
    EnvironmentVariable(
        "WHALE_SENSOR_STALE_RUN_HOURS",
        "12",
        "The daily sensor takes a run STARTED longer ago than this for dead.",
        ReadWhen.SENSOR,
    ),
    EnvironmentVariable(
        "WHALE_DEPLOY_PODS", "1", "Run pods or tasks working at once (sets every pool's limit).", ReadWhen.DEPLOY_INIT
    ),
    EnvironmentVariable("WHALE_POOL_LIMITS", None, "`POOL=N,...`: per-pool overrides.", ReadWhen.DEPLOY_INIT),
    EnvironmentVariable(
        "WHALE_REAL_SONG_UNITS",
        "../shared/data/mbari-song-units",
        "The folder of real MBARI song units that tests and benchmarks place into the MARS-like world; absent: "
        "those tests skip, saying why.",
        ReadWhen.WORLD,
    ),
)
