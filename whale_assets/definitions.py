"""The code location `whale_assets`: `dagster dev` (or `dg dev`) in the repository root loads `defs` from here."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import cast

from dagster import (
    AssetsDefinition,
    AssetSpec,
    BetaWarning,
    Definitions,
    in_process_executor,
    load_from_defs_folder,
    map_asset_specs,
    with_source_code_references,
)

from whale_assets.assets import ALL_ASSETS
from whale_assets.assets.checks import ALL_CHECKS
from whale_assets.assets.freshness import FRESHNESS_CHECKS
from whale_assets.automation import SCHEDULES, SENSORS
from whale_assets.jobs import JOBS
from whale_assets.resources import (
    AudioArchiveResource,
    ClassifierResource,
    EncounterSource,
    FileStore,
    FingerprintStore,
    StoredTables,
)
from whale_assets.settings import Settings, prepare_data_dir
from whale_assets.storage.io_managers import WhaleDuckDBIOManager, WindowArrayStorage
from whale_assets.storage.layout import DUCKDB_SCHEMA, FILE_STORES, REVIEWS_DIR, tables_url, under_root


def build_resources(settings: Settings) -> dict[str, object]:
    """Every resource, chosen from the settings in one place."""
    return {
        "encounter_source": EncounterSource(source=settings.encounters),
        "audio_archive": AudioArchiveResource(source=settings.audio_source, endpoint_url=settings.audio_endpoint_url),
        "classifier": ClassifierResource(
            name=settings.classifier,
            model=settings.model,
            model_server=settings.model_server,
            model_name=settings.model_name,
            model_version=settings.model_version,
            precision=settings.model_precision,
        ),
        **storage_resources(settings),
    }


def storage_resources(settings: Settings) -> dict[str, object]:
    """The one switch between local storage and S3: same assets, different IO managers."""
    root = settings.storage_root
    if settings.storage == "s3":
        from whale_assets.storage.parquet_tables import ParquetTableStorage

        tables: object = ParquetTableStorage(base_path=tables_url(root), fingerprint_root=root)
        stored_tables = StoredTables(storage="s3", location=tables_url(root))
    else:
        prepare_data_dir(settings.data_dir)  # DuckDB needs the folder to exist and be writable
        tables = WhaleDuckDBIOManager(
            database=str(settings.database),
            schema=DUCKDB_SCHEMA,
            fingerprint_root=root,
            shared_local_storage=settings.shared_local_storage,
        )
        stored_tables = StoredTables(storage="local", location=str(settings.database))
    return {
        "array_io_manager": WindowArrayStorage(
            base_path=root, fingerprint_root=root, shared_local_storage=settings.shared_local_storage
        ),
        "table_io_manager": tables,
        # Figures, checkpoints and the deliverables (Raven tables, clips, reports): a folder each.
        **{name: FileStore(base_path=under_root(root, folder), data_root=root) for name, folder in FILE_STORES.items()},
        # Analysts' reviewed selection tables, one folder per UTC day (WHALE_REVIEWS_DIR to put them
        # elsewhere: then that folder is the root its reads are confined to).
        "reviews": FileStore(
            base_path=settings.reviews_dir or under_root(root, REVIEWS_DIR), data_root=settings.reviews_dir or root
        ),
        "fingerprints": FingerprintStore(root=root),
        # The same tables read back outside the IO manager (classifications' daily_scores source).
        "stored_tables": stored_tables,
    }


# The kind each classifier runs on. The scoring assets' decorators declare the default's (the
# TensorFlow humpback model); the setting is known only when the definitions are built. Dagster's
# UI has no icon for TF Serving or gRPC; `served` shows as the text kind "tfserving".
CLASSIFIER_KINDS = {"humpback": "tensorflow", "energy": "scipy", "served": "tfserving"}
DECLARED_CLASSIFIER_KIND = CLASSIFIER_KINDS["humpback"]
# How the table assets are stored (their decorators declare the local DuckDB file).
TABLE_STORAGE_KINDS = {"local": {"duckdb"}, "s3": {"parquet", "s3"}}
DECLARED_TABLE_KIND = "duckdb"


def described_assets(settings: Settings, assets: Sequence[AssetsDefinition] = ALL_ASSETS) -> list[AssetsDefinition]:
    """`assets` with the kinds of the configured classifier and storage, and links to their code."""
    classifier_kind = CLASSIFIER_KINDS[settings.classifier]
    storage_kinds = TABLE_STORAGE_KINDS[settings.storage]

    def configured_kinds(spec: AssetSpec) -> AssetSpec:
        kinds = set(spec.kinds)
        if DECLARED_CLASSIFIER_KIND in kinds:  # a scoring asset (other assets may use scipy too)
            kinds = (kinds - {DECLARED_CLASSIFIER_KIND}) | {classifier_kind}
        if DECLARED_TABLE_KIND in kinds:
            kinds = (kinds - {DECLARED_TABLE_KIND}) | storage_kinds
        return spec.replace_attributes(kinds=kinds)

    with warnings.catch_warnings():  # code references are beta in Dagster 1.13: used knowingly
        warnings.simplefilter("ignore", BetaWarning)
        described = with_source_code_references(map_asset_specs(configured_kinds, assets))
    # Typed for any asset-like input; each AssetsDefinition passed in comes back as one.
    return cast("list[AssetsDefinition]", list(described))


PACKAGE_DIR = Path(__file__).resolve().parent


def scaffolded_definitions(package_dir: Path = PACKAGE_DIR) -> Definitions:
    """What `dg scaffold defs ...` added under `whale_assets/defs/` (nothing in this repository).

    `load_from_defs_folder` finds the folder through pyproject.toml's `[tool.dg.project]`, which an
    install from a wheel does not carry: there an empty folder loads nothing, and a folder with
    definitions in it is an error rather than definitions silently left out.
    """
    if (package_dir.parent / "pyproject.toml").is_file():
        return load_from_defs_folder(path_within_project=package_dir)
    scaffolded = sorted(
        p.name for p in (package_dir / "defs").iterdir() if p.name not in {"__init__.py", "__pycache__"}
    )
    if scaffolded:
        raise RuntimeError(
            f"{package_dir / 'defs'} holds {', '.join(scaffolded)} but no pyproject.toml is beside the package to "
            "load them with: install the project from its source folder (`pip install -e .`) or move them into "
            "whale_assets/assets"
        )
    return Definitions()


def build_definitions(settings: Settings) -> Definitions:
    platform = Definitions(
        assets=described_assets(settings),
        # The jobs run the checks of the assets they select; the freshness check runs from its sensor.
        asset_checks=[*ALL_CHECKS, *FRESHNESS_CHECKS],
        jobs=JOBS,
        sensors=SENSORS,
        schedules=SCHEDULES,
        resources=build_resources(settings),
        # The graph is a chain: one process per run saves ~15 s of process start per step.
        executor=in_process_executor,
    )
    return Definitions.merge(platform, scaffolded_definitions())


defs = build_definitions(Settings.from_env())
