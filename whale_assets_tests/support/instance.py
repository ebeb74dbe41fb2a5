"""A persistent (SQLite) Dagster instance configured by the project's own dagster.yaml."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from dagster import DagsterInstance, instance_for_test

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_DAGSTER_YAML = PROJECT_ROOT / "dagster.yaml"


def project_dagster_home(home: Path) -> Path:
    """`home` created as a DAGSTER_HOME holding a copy of the project's dagster.yaml."""
    home.mkdir(parents=True)
    shutil.copy(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    return home


@contextmanager
def project_instance(home: Path) -> Iterator[DagsterInstance]:
    """An instance in a new DAGSTER_HOME at `home`, with the project's run queue and pool limits."""
    overrides = yaml.safe_load(PROJECT_DAGSTER_YAML.read_text())
    with instance_for_test(overrides=overrides, temp_dir=str(project_dagster_home(home))) as instance:
        yield instance
