"""Dagster resources: thin configurable handles on the outside world."""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
from dagster import ConfigurableResource, Failure
from pydantic import PrivateAttr

from whale_assets.core.hydrophone import PUBLIC_ARCHIVE
from whale_assets.core.scoring.classifier import Classifier
from whale_assets.settings import CLASSIFIERS, HAPPYWHALE
from whale_assets.sources.encounter_exports import ExportProblem
from whale_assets.sources.humpback_model import DEFAULT_HANDLE
from whale_assets.sources.model_precision import DEFAULT_PRECISION, check_precision, precision_label


@dataclass(frozen=True)
class FetchedExports:
    table: pd.DataFrame
    row_errors: list[str]
    origin: str
    export_problems: tuple[ExportProblem, ...] = ()  # export files that were empty (folder source only)


class EncounterSource(ConfigurableResource):
    """Happywhale encounters: the live API (`happywhale`) or a directory of CSV exports."""

    source: str = HAPPYWHALE

    def fetch(self, day: dt.date, radius_km: float) -> FetchedExports:
        if self.source == HAPPYWHALE:
            from whale_assets.sources.happywhale import search_happywhale

            search = search_happywhale(day, radius_km)
            return FetchedExports(search.table, list(search.row_errors), "happywhale API")
        from whale_assets.sources.encounter_exports import read_export_folder

        folder = read_export_folder(self.source)
        return FetchedExports(folder.table, [], self.source, folder.problems)

    def identity(self) -> str:
        """What the fingerprint knows of the source: the API, or the export files' names, sizes and times."""
        if self.source == HAPPYWHALE:
            return HAPPYWHALE
        from whale_assets.sources.encounter_exports import export_dir_signature

        return f"{self.source}:{export_dir_signature(self.source)}"


class AudioArchiveResource(ConfigurableResource):
    """The 16 kHz daily archive: the public bucket, another S3 endpoint, or a local directory."""

    source: str = PUBLIC_ARCHIVE
    endpoint_url: str | None = None

    def open(self):
        """The archive; a local folder that is gone fails here, naming the variable (retrying won't help)."""
        from whale_assets.sources.audio_archive import AudioArchive

        if "://" not in self.source and not Path(self.source).is_dir():
            raise Failure(
                description=f"WHALE_AUDIO_SOURCE={self.source} is not an existing directory (moved, renamed or "
                "unmounted?): restore the archive folder or point WHALE_AUDIO_SOURCE at it, then run again",
                allow_retries=False,
            )
        return AudioArchive(self.source, endpoint_url=self.endpoint_url)

    def identity(self) -> dict[str, str | None]:
        """What the fingerprints of the partitions read from the archive know of it."""
        return {"archive": self.source, "endpoint": self.endpoint_url}


class ClassifierResource(ConfigurableResource):
    """`humpback` (Google's model through tensorflow_hub), `energy` (band-energy detector), or
    `served` (the humpback model on a TF Serving instance; no TensorFlow in this process).

    `precision` (`float32`, `bfloat16`, `int8`, or `auto`: bfloat16 where this machine's CPU has it
    natively) is the in-process humpback model's arithmetic; the others ignore it.
    """

    name: str = "humpback"
    model: str = DEFAULT_HANDLE
    precision: str = DEFAULT_PRECISION
    model_server: str | None = None
    model_name: str = "humpback_whale"
    model_version: int | None = None
    _loaded: dict = PrivateAttr(default_factory=dict)

    def load(self, context_step_samples: int = 10_000) -> Classifier:
        if self.name not in CLASSIFIERS:
            raise ValueError(f"classifier {self.name!r} is not valid; use one of: {', '.join(CLASSIFIERS)}")
        key = (
            self.name, self.model, check_precision(self.precision), self.model_server, self.model_name,
            self.model_version, context_step_samples,
        )  # fmt: skip
        if key not in self._loaded:
            self._loaded[key] = self._build(context_step_samples)
        return self._loaded[key]

    def _build(self, context_step_samples: int) -> Classifier:
        if self.name == "energy":
            from whale_assets.core.scoring.energy import EnergyClassifier

            return EnergyClassifier()
        if self.name == "served":
            from whale_assets.sources.model_server import load_served_model

            return load_served_model(self._served_spec(), context_step_samples=context_step_samples)
        # TensorFlow is imported only here, when the humpback model is really needed.
        from whale_assets.sources.humpback_model import load_humpback_model

        return load_humpback_model(self.model, context_step_samples=context_step_samples, precision=self.precision)

    def _served_spec(self):
        from whale_assets.sources.model_server import ServedModelSpec, parse_server, parse_version

        if not self.model_server:
            raise ValueError("the served classifier needs WHALE_MODEL_SERVER (grpc://host:8500 or http://host:8501)")
        return ServedModelSpec(parse_server(self.model_server), self.model_name, parse_version(self.model_version))

    @property
    def label(self) -> str:
        """What scores and fingerprints record. For `served`: server, model name and the version the
        server reports (asked once), so another server or version recomputes; float32 keeps the bare
        model handle, so partitions stored before the precision setting keep their fingerprints."""
        if self.name == "served":
            return self.load().name
        return "energy" if self.name == "energy" else precision_label(self.model, self.precision)

    @property
    def fingerprint_label(self) -> str:
        """`label`, plus the energy detector's revision: partitions scored by an earlier energy
        detector recompute, while the stored `model` column keeps the plain name users choose."""
        if self.name != "energy":
            return self.label
        from whale_assets.core.scoring.energy import ENERGY_REVISION

        return f"energy/{ENERGY_REVISION}"


class FileStore(ConfigurableResource):
    """Files the tables point at (figures) or runs resume from, under `base_path` (local or fsspec URL)."""

    base_path: str
    data_root: str = ""  # the data directory every path must stay in, symlinks followed ("": base_path)

    def path(self, relative_path: str):
        """The full path; a path that would land outside `base_path` or the data root raises UnsafePathError."""
        from whale_assets.storage.files import path_under
        from whale_assets.storage.s3 import storage_path

        return path_under(storage_path(self.base_path), relative_path, storage_path(self.data_root or self.base_path))

    def write(self, relative_path: str, data: bytes) -> str:
        """Write atomically (readers see the old file or the new one) and return the full path."""
        from whale_assets.storage.files import replace_bytes

        path = self.path(relative_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_bytes(path, data)
        return str(path)

    def read(self, relative_path: str) -> bytes | None:
        path = self.path(relative_path)
        return path.read_bytes() if path.exists() else None

    def names(self, relative_dir: str) -> list[str]:
        """The names of the files directly in `relative_dir` (none when it does not exist)."""
        from whale_assets.storage.partition_files import present_files

        return sorted(present_files(self.path(relative_dir)))

    def remove(self, relative_path: str) -> None:
        """Remove a file; one already gone is fine."""
        from whale_assets.storage.partition_files import remove_files

        path = self.path(relative_path)
        remove_files(path.parent, [path.name])


class FingerprintStore(ConfigurableResource):
    """Read access to the fingerprints that the IO managers record beside the stored partitions."""

    root: str

    def get(self, asset: str, partition: str) -> str | None:
        from whale_assets.storage.fingerprints import FingerprintRegistry

        return FingerprintRegistry(self.root).get(asset, partition)

    def get_output(self, asset: str, partition: str) -> str | None:
        from whale_assets.storage.fingerprints import FingerprintRegistry

        return FingerprintRegistry(self.root).get_output(asset, partition)

    def missing_array_files(self, asset: str, partition: str) -> list[str]:
        """Files a stored window-array partition names but lacks (arrays live beside the fingerprints)."""
        from upath import UPath

        from whale_assets.storage.window_arrays import INDEX_NAME, read_partition

        try:
            return read_partition(UPath(self.root) / asset / partition).missing_files()
        except FileNotFoundError:
            return [INDEX_NAME]


class StoredTables(ConfigurableResource):
    """Read access to stored daily table partitions without declaring them as asset inputs.

    `location` is the DuckDB file (`storage: local`) or the tables URL, `<root>/tables` (`s3`).
    """

    storage: Literal["local", "s3"] = "local"
    location: str

    def read_day(self, table: str, day: dt.date) -> pd.DataFrame | None:
        """The table's rows for the UTC day `day`, or None when that day has none stored."""
        if self.storage == "s3":
            # Imported here: pyarrow, s3fs and dagster-aws are needed only in S3 mode.
            from whale_assets.storage.parquet_files import read_parquet_day

            return read_parquet_day(self.location, table, day)
        from whale_assets.storage.duckdb_files import read_duckdb_day

        return read_duckdb_day(Path(self.location), table, day)

    def read_all(self, table: str) -> pd.DataFrame | None:
        """Every stored row of the table (all days), or None when nothing is stored."""
        if self.storage == "s3":
            from whale_assets.storage.parquet_files import read_parquet_table

            return read_parquet_table(self.location, table)
        from whale_assets.storage.duckdb_files import read_duckdb_table

        return read_duckdb_table(Path(self.location), table)
