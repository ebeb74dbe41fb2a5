"""deploy/postgres/dagster.yaml against a real PostgreSQL server on loopback, and deploy-init on it."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest
import sqlalchemy
from dagster import DagsterInstance

from whale_assets.storage.run_placement import run_launcher_name
from whale_assets_tests.support.instance import PROJECT_ROOT
from whale_assets_tests.support.postgres import instance_env, postgres_dagster_home, running_postgres

pytest.importorskip("dagster_postgres", reason="the postgres extra is not installed: pip install -e '.[postgres]'")


@pytest.fixture(scope="module")
def postgres_url():
    with running_postgres() as url:
        yield url


def test_the_example_instance_stores_runs_and_pool_limits_in_postgres(postgres_url, tmp_path, monkeypatch):
    home = postgres_dagster_home(tmp_path / "home")
    env = {**os.environ, **instance_env(postgres_url), "DAGSTER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("WHALE_DEPLOY_PODS", None), env.pop("WHALE_POOL_LIMITS", None)
    done = subprocess.run(
        [sys.executable, "-m", "whale_assets.cli", "deploy-init", "--pods", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["duckdb_writers: 3 (was not set)", "model_scoring: 3 (was not set)"]

    for name, value in {**instance_env(postgres_url), "DAGSTER_HOME": str(home)}.items():
        monkeypatch.setenv(name, value)
    with DagsterInstance.get() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        assert run_launcher_name(instance) == "DefaultRunLauncher"
        limits = {p.name: (p.limit, p.from_default) for p in instance.event_log_storage.get_pool_limits()}
    assert limits == {"duckdb_writers": (3, False), "model_scoring": (3, False)}
    # the limits are rows of the Postgres database itself, not of a local file
    with sqlalchemy.create_engine(postgres_url).connect() as connection:
        rows = connection.execute(sqlalchemy.text('select concurrency_key, "limit" from concurrency_limits')).all()
    assert sorted(rows) == [("duckdb_writers", 3), ("model_scoring", 3)]


def test_a_bare_postgresql_url_needs_psycopg_3_which_dagster_postgres_does_not_install(postgres_url):
    pytest.importorskip("psycopg2")
    if importlib.util.find_spec("psycopg") is not None:
        pytest.skip("psycopg 3 is installed here, so a bare postgresql:// works too")
    bare = postgres_url.replace("postgresql+psycopg2://", "postgresql://")
    with pytest.raises(ModuleNotFoundError, match="psycopg"):
        sqlalchemy.create_engine(bare)
