"""The Kubernetes Job that dagster-k8s's K8sRunLauncher submits for a run, from deploy/k8s/values.yaml.

No cluster here: the launcher is built by Dagster from the instance config the chart renders, the
run carries the code server's image and container context as the chart sets them, and the one call
to the Kubernetes API (create the Job) is intercepted. The Job is checked against the Kubernetes
API schemas offline (kubernetes-validate --strict) and for where image, env, secrets and resources are.
"""

from __future__ import annotations

import sys
from pathlib import Path
from unittest import mock

import kubernetes_validate
import pytest
import yaml
from dagster import instance_for_test
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.test_utils import create_run_for_test
from dagster_k8s.client import DagsterKubernetesClient
from kubernetes.client import ApiClient
from kubernetes.utils import parse_quantity

from whale_assets.deploy_tags import RunLauncherKind
from whale_assets.jobs import build_jobs

whale_pipeline_job, full_day_scoring_job, deliverables_job, _reviews_job = build_jobs(RunLauncherKind.K8S)
from whale_assets_tests.support import helm_chart

KUBERNETES_VERSION = "1.37"  # the newest schemas kubernetes-validate bundles
MANIFESTS = helm_chart.REPO / "deploy" / "k8s"


def _kubeconfig(path: Path) -> Path:
    """A kubeconfig for a cluster that is never contacted (the launcher only loads it)."""
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "offline",
                "clusters": [{"name": "offline", "cluster": {"server": "https://127.0.0.1:6443"}}],
                "users": [{"name": "offline", "user": {"token": "unused"}}],
                "contexts": [{"name": "offline", "context": {"cluster": "offline", "user": "offline"}}],
            }
        )
    )
    return path


def _submitted_job(job_def, tmp_path: Path) -> dict:
    """Launch one partition of `job_def` through K8sRunLauncher; return the Job body it submits."""
    values = helm_chart.load_values()
    launcher = helm_chart.instance_config(values)["run_launcher"]
    # In the cluster the launcher reads the service account's in-cluster config instead.
    launcher["config"] = {
        **launcher["config"],
        "load_incluster_config": False,
        "kubeconfig_file": str(_kubeconfig(tmp_path / f"{job_def.name}.kubeconfig")),
    }
    deployment = helm_chart.user_deployment(values, "whale-assets")
    origin = JobPythonOrigin(
        job_def.name,
        RepositoryPythonOrigin(
            executable_path=sys.executable,
            code_pointer=ModuleCodePointer("whale_assets.definitions", "defs", None),
            container_image=helm_chart.code_server_image(deployment),
            entry_point=["dagster"],
            container_context=helm_chart.container_context(values, deployment),
        ),
    )
    submitted = []
    with (
        instance_for_test(overrides={"run_launcher": launcher}) as instance,
        mock.patch.object(
            DagsterKubernetesClient,
            "create_namespaced_job_with_retries",
            lambda _client, body, namespace: submitted.append((body, namespace)),
        ),
    ):
        run = create_run_for_test(
            instance,
            job_name=job_def.name,
            job_code_origin=origin,
            tags={**job_def.tags, "dagster/partition": "2023-09-14"},
        )
        instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
    [(body, namespace)] = submitted
    assert namespace == helm_chart.NAMESPACE
    return ApiClient().sanitize_for_serialization(body)


@pytest.fixture(scope="module")
def full_day_job(tmp_path_factory) -> dict:
    return _submitted_job(full_day_scoring_job, tmp_path_factory.mktemp("k8s"))


def _container(job: dict) -> dict:
    [container] = job["spec"]["template"]["spec"]["containers"]
    return container


def _resources(job: dict) -> dict:
    return _container(job)["resources"]


def test_the_full_day_scoring_run_job_is_a_valid_kubernetes_job(full_day_job):
    assert kubernetes_validate.validate(full_day_job, KUBERNETES_VERSION, strict=True) == KUBERNETES_VERSION
    assert full_day_job["kind"] == "Job" and full_day_job["apiVersion"] == "batch/v1"


def test_the_run_pod_runs_the_code_servers_image_with_dagsters_run_command(full_day_job):
    container = _container(full_day_job)

    assert container["image"] == "whale-assets:0.1.0"
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["args"][:3] == ["dagster", "api", "execute_run"]
    assert full_day_job["metadata"]["labels"]["dagster/job"] == "full_day_scoring"


def test_whale_settings_and_aws_credentials_come_from_the_configmap_and_the_secret(full_day_job):
    env_from = _container(full_day_job)["envFrom"]
    config_maps = [source["configMapRef"]["name"] for source in env_from if "configMapRef" in source]
    secrets = [source["secretRef"]["name"] for source in env_from if "secretRef" in source]

    assert "whale-assets-env" in config_maps
    assert "whale-assets-aws" in secrets
    # The chart's own per-deployment env ConfigMap comes along too.
    assert f"{helm_chart.FULLNAME}-whale-assets-user-env" in config_maps
    # No secret value is ever written into the Job itself.
    assert not any(
        "valueFrom" not in var and "SECRET" in var["name"] for var in _container(full_day_job).get("env", [])
    )


def test_the_postgres_password_reaches_the_run_from_its_secret(full_day_job):
    password = next(var for var in _container(full_day_job)["env"] if var["name"] == "DAGSTER_PG_PASSWORD")
    assert password["valueFrom"]["secretKeyRef"] == {"name": "whale-dagster-postgresql", "key": "postgresql-password"}


def test_the_job_tags_size_the_pod_over_the_launchers_default(full_day_job):
    resources = _resources(full_day_job)

    assert parse_quantity(resources["requests"]["cpu"]) == 2
    assert parse_quantity(resources["requests"]["memory"]) == 4 * 2**30
    assert parse_quantity(resources["limits"]["memory"]) == 6 * 2**30
    assert "cpu" not in resources["limits"]


def test_runs_of_the_daily_pipeline_and_of_untagged_jobs_get_their_own_sizes(tmp_path):
    pipeline = _resources(_submitted_job(whale_pipeline_job, tmp_path))
    deliverables = _resources(_submitted_job(deliverables_job, tmp_path))
    launcher_default = helm_chart.load_values()["runLauncher"]["config"]["k8sRunLauncher"]["resources"]

    assert parse_quantity(pipeline["requests"]["cpu"]) == 1
    assert parse_quantity(pipeline["limits"]["memory"]) == 4 * 2**30
    assert deliverables == launcher_default


def test_a_hung_run_pod_is_ended_after_six_hours(full_day_job):
    assert full_day_job["spec"]["activeDeadlineSeconds"] == 6 * 3600
    assert full_day_job["spec"]["backoffLimit"] == 0  # Dagster, not Kubernetes, retries runs


def test_the_model_server_and_settings_manifests_are_valid_kubernetes_objects():
    for manifest in ("model-server.yaml", "whale-assets-env.yaml"):
        for resource in yaml.safe_load_all((MANIFESTS / manifest).read_text()):
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_model_server_serves_humpback_whale_from_its_volume_on_both_ports():
    deployment, service, claim = yaml.safe_load_all((MANIFESTS / "model-server.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    [volume] = deployment["spec"]["template"]["spec"]["volumes"]
    settings = yaml.safe_load((MANIFESTS / "whale-assets-env.yaml").read_text())["data"]

    assert container["image"].startswith("tensorflow/serving:")
    assert "--model_name=humpback_whale" in container["args"]
    assert "--model_base_path=/models/humpback_whale" in container["args"]
    assert {port["containerPort"] for port in container["ports"]} == {8500, 8501}
    assert {port["port"] for port in service["spec"]["ports"]} == {8500, 8501}
    assert container["volumeMounts"][0]["mountPath"] == "/models"
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert settings["WHALE_MODEL_SERVER"] == f"grpc://{service['metadata']['name']}:8500"
    assert settings["WHALE_MODEL_NAME"] == "humpback_whale"
