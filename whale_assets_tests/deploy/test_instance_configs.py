"""deploy/ecs/dagster.yaml and the instance the Helm values render load as Dagster instance config.

Each goes through Dagster's instance schema and each configurable section (run launcher, storage,
compute logs, run coordinator) through its own class's schema, as the daemon does at start-up;
nothing is connected to (no Postgres, ECS, S3 or Kubernetes here).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy
import yaml
from dagster_postgres.utils import get_conn_string

from whale_assets.deploy_tags import FULL_DAY_RUN, RUN_SIZE_TAG, RunLauncherKind
from whale_assets_tests.support import helm_chart
from whale_assets_tests.support.instance_yaml import check_instance_yaml, env_references

ECS_INSTANCE = helm_chart.REPO / "deploy" / "ecs" / "dagster.yaml"
WORKSPACE = helm_chart.REPO / "workspace.yaml"


@pytest.fixture(autouse=True)
def _postgres_env(monkeypatch):
    # What the ECS tasks get from their task definition and Secrets Manager.
    monkeypatch.setenv("DAGSTER_PG_HOST", "whale-dagster.abc123.us-west-2.rds.amazonaws.com")
    monkeypatch.setenv("DAGSTER_PG_PORT", "5432")
    monkeypatch.setenv("DAGSTER_PG_USER", "dagster")
    monkeypatch.setenv("DAGSTER_PG_DB", "dagster")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", "not-a-real-password")


@pytest.fixture
def ecs_sections(tmp_path: Path) -> dict:
    return check_instance_yaml(yaml.safe_load(ECS_INSTANCE.read_text()), tmp_path / "ecs")


@pytest.fixture
def k8s_sections(tmp_path: Path) -> dict:
    return check_instance_yaml(helm_chart.instance_config(helm_chart.load_values()), tmp_path / "k8s")


def _driver(postgres_db: dict) -> str:
    url = get_conn_string(
        username=postgres_db["username"],
        password=postgres_db["password"],
        hostname=postgres_db["hostname"],
        db_name=postgres_db["db_name"],
        port=str(postgres_db["port"]),
        scheme=postgres_db["scheme"],
    )
    return sqlalchemy.engine.make_url(url).get_dialect().driver


def test_the_ecs_instance_launches_fargate_tasks_in_its_cluster_and_subnets(ecs_sections):
    launcher = ecs_sections["run_launcher"]

    assert launcher["run_task_kwargs"]["cluster"] == "whale-assets"
    assert launcher["run_task_kwargs"]["launchType"] == "FARGATE"
    network = launcher["run_task_kwargs"]["networkConfiguration"]["awsvpcConfiguration"]
    assert network["subnets"] and network["securityGroups"]
    assert launcher["use_current_ecs_task_config"] is False
    assert launcher["task_definition"]["task_role_arn"].startswith("arn:aws:iam::")
    assert launcher["task_definition"]["execution_role_arn"].startswith("arn:aws:iam::")


def test_ecs_runs_store_results_in_s3_and_read_the_postgres_password_from_secrets_manager(ecs_sections):
    launcher = ecs_sections["run_launcher"]

    assert "WHALE_STORAGE=s3" in launcher["env_vars"]
    [password] = [secret for secret in launcher["secrets"] if secret["name"] == "DAGSTER_PG_PASSWORD"]
    assert password["valueFrom"].startswith("arn:aws:secretsmanager:")
    # Tagged jobs override the default task size (EcsRunLauncher reads ecs/cpu, ecs/memory).
    assert int(launcher["run_resources"]["cpu"]) < int(FULL_DAY_RUN.tags(RunLauncherKind.ECS)["ecs/cpu"])


def test_every_deploy_instance_config_reads_the_same_postgres_variables():
    # One set of DAGSTER_PG_* names for Docker, ECS and a plain Postgres instance, so a deployment
    # moved from one to another (and the README's commands) keep working.
    configs = sorted((helm_chart.REPO / "deploy").glob("*/dagster.yaml"))
    names = {
        config.parent.name: {
            name for name in env_references(yaml.safe_load(config.read_text())) if name.startswith("DAGSTER_PG_")
        }
        for config in configs
    }

    assert len(configs) >= 3, configs
    assert all(found == names["postgres"] for found in names.values()), names
    assert names["postgres"] == {f"DAGSTER_PG_{part}" for part in ("HOST", "PORT", "USER", "PASSWORD", "DB")}


@pytest.mark.parametrize("instance", ["ecs", "k8s"])
def test_instance_storage_uses_psycopg2_not_what_sqlalchemy_picks_for_plain_postgresql(
    instance, ecs_sections, k8s_sections
):
    sections = ecs_sections if instance == "ecs" else k8s_sections
    postgres_db = (sections["storage"] if instance == "ecs" else sections["run_storage"])["postgres_db"]

    assert postgres_db["scheme"] == "postgresql+psycopg2"
    assert _driver(postgres_db) == "psycopg2"
    # The pitfall avoided: SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3, not installed.
    assert _driver({**postgres_db, "scheme": "postgresql"}) == "psycopg"


@pytest.mark.parametrize("instance", ["ecs", "k8s"])
def test_compute_logs_go_to_s3_and_runs_wait_in_the_queue(instance, ecs_sections, k8s_sections):
    sections = ecs_sections if instance == "ecs" else k8s_sections

    assert sections["compute_logs"]["bucket"] == "my-whale-results"
    assert "run_coordinator" in sections


@pytest.mark.parametrize("source", ["ecs", "k8s"])
def test_run_limits_are_explicit_and_no_pool_is_left_to_a_default_limit(source, tmp_path):
    config = (
        yaml.safe_load(ECS_INSTANCE.read_text())
        if source == "ecs"
        else helm_chart.instance_config(helm_chart.load_values())
    )
    runs, pools = config["concurrency"]["runs"], config["concurrency"]["pools"]

    assert runs["max_concurrent_runs"] >= 2
    full_day = next(limit for limit in runs["tag_concurrency_limits"] if limit["key"] == RUN_SIZE_TAG)
    assert full_day["value"] == FULL_DAY_RUN.name and full_day["limit"] < runs["max_concurrent_runs"]
    # default_limit races on Postgres when two runs start together: deploy-init sets each pool.
    assert "default_limit" not in pools and pools["granularity"] == "op"


def test_the_k8s_launcher_takes_settings_from_the_configmap_and_secret_through_the_code_server(k8s_sections):
    values = helm_chart.load_values()
    deployment = helm_chart.user_deployment(values, "whale-assets")
    context = helm_chart.container_context(values, deployment)["k8s"]

    assert k8s_sections["run_launcher"]["job_namespace"] == helm_chart.NAMESPACE
    assert "whale-assets-env" in context["env_config_maps"]
    assert context["env_secrets"] == ["whale-assets-aws"]


def test_the_helm_workspace_serves_the_one_location_whale_assets_from_the_code_server():
    values = helm_chart.load_values()
    deployment = helm_chart.user_deployment(values, "whale-assets")
    [location] = helm_chart.workspace_locations(values)
    [local] = yaml.safe_load(WORKSPACE.read_text())["load_from"]

    assert location.name == local["python_module"]["location_name"] == "whale_assets"
    assert (location.host, location.port) == (deployment["name"], deployment["port"])
    assert helm_chart.code_server_command(deployment) == [
        "dagster",
        "code-server",
        "start",
        "-h",
        "0.0.0.0",
        "-p",
        "3030",
        "-m",
        "whale_assets.definitions",
    ]
