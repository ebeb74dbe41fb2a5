"""What the official Dagster Helm chart renders from deploy/k8s/values.yaml, for the parts the tests check.

`helm` is not available here, so the few template rules that matter are restated (from the
chart 1.13 templates `_helpers.tpl` `dagsterYaml.*`, `configmap-workspace.yaml` and the user
deployments' `k8sContainerContext`): the instance's dagster.yaml, the container context the code
server hands to its runs, and the workspace's locations. Dagster's and dagster-k8s's own code
then loads and uses these in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
VALUES_PATH = REPO / "deploy" / "k8s" / "values.yaml"
RELEASE = "whale"
NAMESPACE = "whale"
# `dagster.fullname`: release + chart name, unless the release name contains "dagster".
FULLNAME = f"{RELEASE}-dagster"
DAGSTER_HOME = "/opt/dagster/dagster_home"  # the chart's global.dagsterHome default


@dataclass(frozen=True)
class Location:
    host: str
    port: int
    name: str


def load_values() -> dict[str, Any]:
    return yaml.safe_load(VALUES_PATH.read_text())


def _names(sources: list[dict[str, str]] | None) -> list[str]:
    return [source["name"] for source in sources or [] if "name" in source]


def _postgres_db(values: dict[str, Any]) -> dict[str, Any]:
    postgresql = values["postgresql"]
    config = {
        "username": postgresql["postgresqlUsername"],
        "password": {"env": "DAGSTER_PG_PASSWORD"},
        "hostname": postgresql["postgresqlHost"],
        "db_name": postgresql["postgresqlDatabase"],
        "port": postgresql["service"]["port"],
        "params": postgresql.get("postgresqlParams", {}),
    }
    if postgresql.get("postgresqlScheme"):
        config["scheme"] = postgresql["postgresqlScheme"]
    return {"postgres_db": config}


def _run_launcher(values: dict[str, Any]) -> dict[str, Any]:
    k8s = values["runLauncher"]["config"]["k8sRunLauncher"]
    config: dict[str, Any] = {
        "load_incluster_config": k8s["loadInclusterConfig"],
        "job_namespace": k8s.get("jobNamespace") or NAMESPACE,
        "image_pull_policy": k8s["imagePullPolicy"],
        "service_account_name": FULLNAME,
        "dagster_home": DAGSTER_HOME,
        "instance_config_map": f"{FULLNAME}-instance",
        "postgres_password_secret": values["global"]["postgresqlSecretName"],
    }
    if k8s.get("envConfigMaps"):
        config["env_config_maps"] = _names(k8s["envConfigMaps"])
    if k8s.get("envSecrets"):
        config["env_secrets"] = _names(k8s["envSecrets"])
    if k8s.get("resources"):
        config["resources"] = k8s["resources"]
    run_k8s = k8s.get("runK8sConfig") or {}
    renamed = {
        "containerConfig": "container_config",
        "podSpecConfig": "pod_spec_config",
        "podTemplateSpecMetadata": "pod_template_spec_metadata",
        "jobSpecConfig": "job_spec_config",
        "jobMetadata": "job_metadata",
    }
    if run_k8s:
        config["run_k8s_config"] = {renamed[key]: value for key, value in run_k8s.items() if value}
    return {"module": "dagster_k8s", "class": "K8sRunLauncher", "config": config}


def _concurrency(values: dict[str, Any]) -> dict[str, Any]:
    concurrency = values.get("concurrency") or {}
    if not concurrency.get("enabled"):
        return {}
    pools, runs = concurrency.get("pools") or {}, concurrency.get("runs") or {}
    rendered: dict[str, Any] = {}
    pool_keys = {
        "defaultLimit": "default_limit",
        "granularity": "granularity",
        "opGranularityRunBuffer": "op_granularity_run_buffer",
    }
    if any(pools.get(key) is not None for key in pool_keys):
        rendered["pools"] = {name: pools[key] for key, name in pool_keys.items() if pools.get(key) is not None}
    if runs.get("maxConcurrentRuns") is not None or runs.get("tagConcurrencyLimits"):
        rendered["runs"] = {}
        if runs.get("maxConcurrentRuns") is not None:
            rendered["runs"]["max_concurrent_runs"] = runs["maxConcurrentRuns"]
        if runs.get("tagConcurrencyLimits"):
            rendered["runs"]["tag_concurrency_limits"] = runs["tagConcurrencyLimits"]
    return {"concurrency": rendered}


def _compute_logs(values: dict[str, Any]) -> dict[str, Any]:
    manager = values["computeLogManager"]
    assert manager["type"] == "S3ComputeLogManager", "only the S3 manager is restated here"
    s3 = manager["config"]["s3ComputeLogManager"]
    renamed = {
        "bucket": "bucket",
        "localDir": "local_dir",
        "prefix": "prefix",
        "useSsl": "use_ssl",
        "verify": "verify",
        "verifyCertPath": "verify_cert_path",
        "endpointUrl": "endpoint_url",
        "skipEmptyFiles": "skip_empty_files",
        "uploadInterval": "upload_interval",
        "uploadExtraArgs": "upload_extra_args",
        "showUrlOnly": "show_url_only",
        "region": "region",
    }
    config = {renamed[key]: value for key, value in s3.items()}
    return {"module": "dagster_aws.s3.compute_log_manager", "class": "S3ComputeLogManager", "config": config}


def instance_config(values: dict[str, Any]) -> dict[str, Any]:
    """The dagster.yaml of the chart's `<fullname>-instance` ConfigMap (the parts set in values.yaml)."""
    postgres = _postgres_db(values)
    daemon = values["dagsterDaemon"]
    monitoring = daemon["runMonitoring"]
    config: dict[str, Any] = {
        "scheduler": {"module": "dagster.core.scheduler", "class": "DagsterDaemonScheduler"},
        "schedule_storage": {
            "module": "dagster_postgres.schedule_storage",
            "class": "PostgresScheduleStorage",
            "config": postgres,
        },
        "run_storage": {"module": "dagster_postgres.run_storage", "class": "PostgresRunStorage", "config": postgres},
        "event_log_storage": {
            "module": "dagster_postgres.event_log",
            "class": "PostgresEventLogStorage",
            "config": postgres,
        },
        "run_launcher": _run_launcher(values),
        "compute_logs": _compute_logs(values),
        "run_monitoring": {
            "enabled": monitoring["enabled"],
            "start_timeout_seconds": monitoring["startTimeoutSeconds"],
            "poll_interval_seconds": monitoring["pollIntervalSeconds"],
            "free_slots_after_run_end_seconds": monitoring["freeSlotsAfterRunEndSeconds"],
        },
        "telemetry": {"enabled": values["telemetry"]["enabled"]},
        **_concurrency(values),
    }
    coordinator = daemon["runCoordinator"]
    if coordinator["enabled"]:
        assert coordinator["type"] == "QueuedRunCoordinator"
        config["run_coordinator"] = {
            "module": "dagster.core.run_coordinator",
            "class": "QueuedRunCoordinator",
            "config": coordinator["config"]["queuedRunCoordinator"] or {},
        }
    return config


def user_deployment(values: dict[str, Any], name: str) -> dict[str, Any]:
    deployments = values["dagster-user-deployments"]["deployments"]
    return next(deployment for deployment in deployments if deployment["name"] == name)


def code_server_image(deployment: dict[str, Any]) -> str:
    """`DAGSTER_CURRENT_IMAGE` of the code server: the image its runs get."""
    return f"{deployment['image']['repository']}:{deployment['image']['tag']}"


def container_context(values: dict[str, Any], deployment: dict[str, Any]) -> dict[str, Any]:
    """`DAGSTER_CONTAINER_CONTEXT` the chart sets on a user deployment: what its runs inherit."""
    k8s: dict[str, Any] = {
        "image_pull_policy": deployment["image"]["pullPolicy"],
        "env_config_maps": [f"{FULLNAME}-{deployment['name']}-user-env", *_names(deployment.get("envConfigMaps"))],
        "namespace": NAMESPACE,
        "service_account_name": f"{FULLNAME}-user-deployments",
        "run_k8s_config": {"pod_spec_config": {"automount_service_account_token": True}},
    }
    if deployment.get("envSecrets"):
        k8s["env_secrets"] = _names(deployment["envSecrets"])
    if deployment.get("resources"):
        k8s["resources"] = deployment["resources"]
    return {"k8s": k8s}


def code_server_command(deployment: dict[str, Any]) -> list[str]:
    if deployment.get("dagsterApiGrpcArgs"):
        return [
            "dagster",
            "api",
            "grpc",
            "-h",
            "0.0.0.0",
            "-p",
            str(deployment["port"]),
            *deployment["dagsterApiGrpcArgs"],
        ]
    return [
        "dagster",
        "code-server",
        "start",
        "-h",
        "0.0.0.0",
        "-p",
        str(deployment["port"]),
        *deployment["codeServerArgs"],
    ]


def workspace_locations(values: dict[str, Any]) -> list[Location]:
    """The workspace.yaml locations: `dagsterWebserver.workspace.servers` if enabled, else the deployments."""
    workspace = values["dagsterWebserver"].get("workspace") or {}
    if workspace.get("enabled"):
        return [
            Location(server["host"], server["port"], server.get("name") or server["host"])
            for server in workspace["servers"]
        ]
    return [
        Location(deployment["name"], deployment["port"], deployment["name"])
        for deployment in values["dagster-user-deployments"]["deployments"]
    ]
