"""deploy/Dockerfile and deploy/docker/: the compose stack, the instance and the workspace as Dagster reads them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.config import dagster_instance_config
from dagster._core.instance.ref import InstanceRef
from dagster._core.workspace.config_schema import ensure_workspace_config
from dagster_docker import DockerRunLauncher
from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import pg_url_from_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
DOCKER = DEPLOY / "docker"
MODULE = "whale_assets.definitions"
LOCATION = "whale_assets"
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}")


def interpolate(value: Any, env: Mapping[str, str]) -> Any:
    """Compose's `${NAME}` / `${NAME:-default}` substitution, applied throughout a loaded file."""
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    return value


def compose(env: Mapping[str, str] | None = None, *overrides: str) -> dict[str, Any]:
    config = interpolate(yaml.safe_load((DOCKER / "compose.yaml").read_text()), env or {})
    for name in overrides:
        override = interpolate(yaml.safe_load((DOCKER / name).read_text()), env or {})
        for service, settings in override["services"].items():
            config["services"][service].update(settings)
    return config


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction, argument in dockerfile_instructions():
        if instruction == "ENV":
            env.update(dict(pair.split("=", 1) for pair in shlex.split(argument)))
    return env


def test_stack_has_postgres_model_server_code_server_webserver_and_daemon():
    services = compose()["services"]
    assert set(services) == {"postgres", "model_server", "code_server", "webserver", "daemon"}
    assert services["postgres"]["image"] == "postgres:16"
    assert services["model_server"]["image"].startswith("tensorflow/serving:")
    # The three Dagster services run the one project image, built from deploy/Dockerfile.
    for name in ("code_server", "webserver", "daemon"):
        assert services[name]["image"] == "whale-assets:latest"
        build = services[name]["build"]
        assert (DOCKER / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"


def test_code_server_serves_the_definitions_module_under_the_one_location_name():
    command = compose()["services"]["code_server"]["command"]
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("-m") + 1] == MODULE
    assert command[command.index("--location-name") + 1] == LOCATION
    assert command[command.index("-p") + 1] == "4000"
    # Runs started by DockerRunLauncher use the image the code location reports.
    assert compose()["services"]["code_server"]["environment"]["DAGSTER_CURRENT_IMAGE"] == "whale-assets:latest"


def test_model_server_serves_humpback_whale_versions_from_a_volume_on_8500_and_8501():
    service = compose({"WHALE_MODEL_DIR": "/srv/models"})["services"]["model_server"]
    assert service["environment"]["MODEL_NAME"] == "humpback_whale"
    assert "/srv/models/humpback_whale:/models/humpback_whale:ro" in service["volumes"]
    assert {port.split(":")[-1] for port in service["ports"]} == {"8500", "8501"}
    # The default model folder is models/ at the repository root (relative paths are the compose file's).
    [default_mount] = compose()["services"]["model_server"]["volumes"]
    assert (DOCKER / default_mount.split(":")[0]).resolve() == REPO / "models" / "humpback_whale"
    code_env = compose()["services"]["code_server"]["environment"]
    assert code_env["WHALE_CLASSIFIER"] == "served"
    assert code_env["WHALE_MODEL_SERVER"] == "grpc://model_server:8500"
    assert code_env["WHALE_MODEL_NAME"] == "humpback_whale"


def test_the_model_name_and_webserver_port_settings_reach_the_services_that_use_them():
    services = compose(
        {"WHALE_MODEL_NAME": "humpback_whale_v2", "WHALE_WEBSERVER_PORT": "8080", "WHALE_MODEL_DIR": "/srv/models"}
    )["services"]
    # TF Serving serves the name the runs ask for, from the folder of that name.
    assert services["model_server"]["environment"]["MODEL_NAME"] == "humpback_whale_v2"
    assert services["model_server"]["volumes"] == ["/srv/models/humpback_whale_v2:/models/humpback_whale_v2:ro"]
    assert services["code_server"]["environment"]["WHALE_MODEL_NAME"] == "humpback_whale_v2"
    # The webserver listens on the port it publishes.
    command = services["webserver"]["command"]
    assert command[command.index("-p") + 1] == "8080"
    assert services["webserver"]["ports"] == ["8080:8080"]


def test_env_example_sets_only_variables_compose_reads_and_a_bucket_for_s3_storage():
    example = dict(
        line.split("=", 1)
        for line in (DOCKER / "env.example").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    compose_text = (DOCKER / "compose.yaml").read_text()
    read = {match.group(1) for match in _VARIABLE.finditer(compose_text)}

    assert set(example) - read == set()
    # The default storage is S3, and the code server refuses to load without a bucket.
    assert compose()["services"]["code_server"]["environment"]["WHALE_STORAGE"] == "s3"
    assert example["WHALE_S3_BUCKET"]
    # Its model folder is the default one: models/ at the repository root.
    assert (DOCKER / example["WHALE_MODEL_DIR"]).resolve() == REPO / "models"


def test_webserver_and_daemon_read_the_deploy_instance_and_workspace_from_dagster_home():
    dagster_home = image_env()["DAGSTER_HOME"]
    services = compose()["services"]
    for name in ("webserver", "daemon"):
        mounts = {volume.split(":")[0]: volume.split(":")[1] for volume in services[name]["volumes"]}
        assert mounts["./dagster.yaml"] == f"{dagster_home}/dagster.yaml"
        assert mounts["./workspace.yaml"] == f"{dagster_home}/workspace.yaml"
        command = services[name]["command"]
        assert command[command.index("-w") + 1] == f"{dagster_home}/workspace.yaml"
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["daemon"]["volumes"]


def test_instance_validates_with_postgres_storage_on_psycopg2_and_the_queued_coordinator():
    config, _ = dagster_instance_config(str(DOCKER))  # raises on anything the instance schema rejects
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert set(config["storage"]) == {"postgres"}
    env = {
        "DAGSTER_PG_HOST": "db",
        "DAGSTER_PG_PORT": "6543",
        "DAGSTER_PG_USER": "u",
        "DAGSTER_PG_PASSWORD": "p",
        "DAGSTER_PG_DB": "dagster",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        storage = process_config(DagsterPostgresStorage.config_type(), config["storage"]["postgres"])
    assert storage.success, storage.errors
    assert pg_url_from_config(storage.value) == "postgresql+psycopg2://u:p@db:6543/dagster"


def test_run_launcher_is_a_docker_run_launcher_that_every_daemon_variable_can_feed(monkeypatch):
    daemon_env = compose()["services"]["daemon"]["environment"]
    for name, value in daemon_env.items():
        monkeypatch.setenv(name, value)
    launcher = InstanceRef.from_dir(str(DOCKER)).run_launcher
    assert isinstance(launcher, DockerRunLauncher)
    assert launcher.image == daemon_env["WHALE_IMAGE"] == "whale-assets:latest"
    assert launcher.networks == [daemon_env["WHALE_DOCKER_NETWORK"]]
    # DockerRunLauncher raises at launch for a listed variable the daemon does not have.
    missing = [name for name in launcher.env_vars if "=" not in name and name not in daemon_env]
    assert missing == []
    # Runs see what the code server sees: classifier, storage, model server.
    code_env = compose()["services"]["code_server"]["environment"]
    assert {name for name in code_env if name.startswith("WHALE_")} - set(launcher.env_vars) == set()


def test_run_containers_mount_the_data_volume_compose_creates():
    config = compose()
    launcher = yaml.safe_load((DOCKER / "dagster.yaml").read_text())["run_launcher"]["config"]
    volume, target = launcher["container_kwargs"]["volumes"][0].split(":")
    assert volume == config["volumes"]["whale_data"]["name"]
    assert target == image_env()["WHALE_DATA_DIR"]
    assert "whale_data:" + target in config["services"]["code_server"]["volumes"]


def test_workspace_points_at_the_code_server_over_grpc_with_the_location_name(monkeypatch):
    for name, value in compose()["services"]["daemon"]["environment"].items():
        monkeypatch.setenv(name, value)
    path = DOCKER / "workspace.yaml"
    workspace = ensure_workspace_config(yaml.safe_load(path.read_text()), str(path))
    (entry,) = workspace["load_from"]
    assert entry["grpc_server"] == {"host": "code_server", "port": 4000, "location_name": LOCATION}


def test_host_network_variant_puts_every_service_on_the_host_network_bound_to_loopback():
    env = {
        "DAGSTER_PG_HOST": "127.0.0.1",
        "POSTGRES_LISTEN": "127.0.0.1",
        "WHALE_CODE_SERVER_BIND": "127.0.0.1",
        "WHALE_CODE_SERVER_HOST": "127.0.0.1",
        "WHALE_WEBSERVER_BIND": "127.0.0.1",
        "WHALE_DOCKER_NETWORK": "host",
    }
    services = compose(env, "compose.hostnet.yaml")["services"]
    assert {service["network_mode"] for service in services.values()} == {"host"}
    code = services["code_server"]["command"]
    assert code[code.index("-h") + 1] == "127.0.0.1"
    assert "listen_addresses=127.0.0.1" in services["postgres"]["command"]
    assert services["daemon"]["environment"]["WHALE_DOCKER_NETWORK"] == "host"


def test_image_runs_as_a_non_root_user_and_serves_the_code_location_by_default():
    instructions = dockerfile_instructions()
    users = [argument for instruction, argument in instructions if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    cmd = [argument for instruction, argument in instructions if instruction == "CMD"][-1]
    assert '"-m", "whale_assets.definitions"' in cmd and f'"--location-name", "{LOCATION}"' in cmd
    assert [argument for instruction, argument in instructions if instruction == "FROM"] == ["${BASE_IMAGE}"]
    assert "ARG BASE_IMAGE=python:3.11-slim-bookworm" in (DEPLOY / "Dockerfile").read_text()


def test_image_installs_postgres_and_docker_extras_and_tensorflow_only_with_model():
    install = next(
        argument
        for instruction, argument in dockerfile_instructions()
        if instruction == "RUN" and "pip install" in argument
    )
    assert "extras=postgres,docker,k8s,served;" in install
    assert 'if [ "$WITH_MODEL" = "1" ]; then extras="$extras,model"; fi' in install
    assert 'pip install ".[$extras]"' in install
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert not [dep for dep in project["dependencies"] if dep.startswith("tensorflow")]
    assert {dep.split(">")[0] for dep in extras["model"]} == {"tensorflow", "tensorflow-hub"}
    assert any(dep.startswith("dagster-postgres") for dep in extras["postgres"])
    assert any(dep.startswith("dagster-docker") for dep in extras["docker"])
    assert any(dep.startswith("dagster-k8s") for dep in extras["k8s"])
    assert "served" in extras


def test_build_context_sends_only_the_package_and_its_metadata():
    rules = [line for line in (REPO / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert rules[0] == "*"
    assert {"!pyproject.toml", "!setup.py", "!README.md", "!whale_assets/"} <= set(rules)


def test_every_variable_the_docker_files_read_is_documented_in_the_docs():
    from whale_assets_tests.docs.test_environment_reference import environment_table
    from whale_assets_tests.support.instance_yaml import env_references

    read = {match.group(1) for match in _VARIABLE.finditer((DOCKER / "compose.yaml").read_text())}
    read |= {match.group(1) for match in re.finditer(r"\$\{(WHALE_\w+):-", (DOCKER / "smoke.sh").read_text())}
    for name in ("dagster.yaml", "workspace.yaml"):
        read |= env_references(yaml.safe_load((DOCKER / name).read_text()))
    docker = (REPO / "docs" / "how-to" / "docker.md").read_text()
    rows = re.findall(r"^\| (`[A-Z].*?) \|", docker, re.MULTILINE)
    documented = {name for row in rows for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", row)}

    assert {"WHALE_IMAGE", "WHALE_MODEL_DIR", "WHALE_SMOKE_DIR", "DAGSTER_PG_USER"} <= read
    # A setting of the package is in the environment table; one only these files read, in Docker's.
    assert read - environment_table() - {"AWS_REGION"} - documented == set()
