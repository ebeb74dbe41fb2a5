"""The ECS task that dagster-aws's EcsRunLauncher starts for a run, from deploy/ecs/dagster.yaml.

The launcher is built by Dagster from the instance config and registers its task definition in
moto's in-process ECS; moto cannot run a Fargate task whose container has no memory of its own,
so `RunTask` is intercepted and its request checked against botocore's ECS service model.
"""

from __future__ import annotations

import sys
from unittest import mock

import boto3
import botocore.validate
import pytest
import yaml
from dagster import instance_for_test
from dagster._core.code_pointer import ModuleCodePointer
from dagster._core.launcher import LaunchRunContext
from dagster._core.origin import JobPythonOrigin, RepositoryPythonOrigin
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.test_utils import create_run_for_test
from moto import mock_aws

from whale_assets.deploy_tags import RunLauncherKind
from whale_assets.jobs import build_jobs

_, full_day_scoring_job, deliverables_job, _reviews_job = build_jobs(RunLauncherKind.ECS)
from whale_assets_tests.support import helm_chart
from whale_assets_tests.support.instance_yaml import env_references

ECS_INSTANCE = helm_chart.REPO / "deploy" / "ecs" / "dagster.yaml"
IMAGE = "whale-assets:0.1.0"
CLUSTER_ARN = "arn:aws:ecs:us-west-2:123456789012:cluster/whale-assets"
DAEMON_PG_ENV = {
    "DAGSTER_PG_HOST": "whale-dagster.abc123.us-west-2.rds.amazonaws.com",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_PG_PASSWORD": "not-a-real-password",
}


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-west-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    for name, value in DAEMON_PG_ENV.items():  # what the daemon's task definition gives it
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield


def _origins(job_name: str) -> tuple[JobPythonOrigin, RemoteJobOrigin]:
    """Where a run of `job_name` comes from: the code server task of the whale_assets location."""
    code = RepositoryPythonOrigin(
        executable_path=sys.executable,
        code_pointer=ModuleCodePointer("whale_assets.definitions", "defs", None),
        container_image=IMAGE,
        entry_point=["dagster"],
        container_context=None,
    )
    location = GrpcServerCodeLocationOrigin(host="whale-assets", port=3030, location_name="whale_assets")
    remote = RemoteJobOrigin(repository_origin=RemoteRepositoryOrigin(location, "__repository__"), job_name=job_name)
    return JobPythonOrigin(job_name, code), remote


def _started_task(job_def) -> tuple[dict, dict]:
    """Launch one partition of `job_def`; return the RunTask request and the task definition it names."""
    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="whale-runs", Description="runs", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="whale-assets")
    launcher = yaml.safe_load(ECS_INSTANCE.read_text())["run_launcher"]
    network = launcher["config"]["run_task_kwargs"]["networkConfiguration"]["awsvpcConfiguration"]
    network["subnets"], network["securityGroups"] = [subnet], [group]  # the example ids, made real in moto

    requests = []

    def run_task(**request):
        requests.append(request)
        return {
            "tasks": [{"taskArn": f"{CLUSTER_ARN.replace('cluster', 'task')}/0123abcd", "clusterArn": CLUSTER_ARN}],
            "failures": [],
        }

    job_origin, remote_origin = _origins(job_def.name)
    with instance_for_test(overrides={"run_launcher": launcher}) as instance:
        run = create_run_for_test(
            instance,
            job_name=job_def.name,
            job_code_origin=job_origin,
            remote_job_origin=remote_origin,
            tags={**job_def.tags, "dagster/partition": "2023-09-14"},
        )
        client = instance.run_launcher.ecs
        with mock.patch.object(client, "run_task", run_task):
            instance.run_launcher.launch_run(LaunchRunContext(dagster_run=run, workspace=None))
        [request] = requests
        botocore.validate.validate_parameters(request, client.meta.service_model.operation_model("RunTask").input_shape)
        definition = ecs.describe_task_definition(taskDefinition=request["taskDefinition"])["taskDefinition"]
    return request, definition


def test_a_full_day_run_is_a_fargate_task_sized_by_the_jobs_tags(aws):
    request, definition = _started_task(full_day_scoring_job)
    [container] = request["overrides"]["containerOverrides"]

    assert request["cluster"] == "whale-assets" and request["launchType"] == "FARGATE"
    assert request["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert (request["overrides"]["cpu"], request["overrides"]["memory"]) == (
        full_day_scoring_job.tags["ecs/cpu"],
        full_day_scoring_job.tags["ecs/memory"],
    )
    assert (container["cpu"], container["memory"]) == (2048, 6144)
    assert container["command"][:3] == ["dagster", "api", "execute_run"]


def test_the_run_task_definition_has_the_image_roles_settings_and_secrets(aws):
    _, definition = _started_task(full_day_scoring_job)
    [container] = definition["containerDefinitions"]
    environment = {var["name"]: var["value"] for var in container["environment"]}

    assert container["name"] == "run" and container["image"] == IMAGE
    assert definition["requiresCompatibilities"] == ["FARGATE"] and definition["networkMode"] == "awsvpc"
    assert definition["taskRoleArn"].endswith(":role/whale-assets-run")
    assert definition["executionRoleArn"].endswith(":role/whale-assets-ecs-execution")
    assert environment["WHALE_STORAGE"] == "s3"
    assert [secret["name"] for secret in container["secrets"]] == ["DAGSTER_PG_PASSWORD"]
    assert "DAGSTER_PG_PASSWORD" not in environment
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/ecs/whale-assets-runs"


def test_a_run_task_has_every_variable_the_instance_config_reads(aws):
    # The run opens the instance from this same file: a variable missing from its task would reach
    # the storage config as the literal {env: NAME} and the run would fail before its first step.
    _, definition = _started_task(full_day_scoring_job)
    [container] = definition["containerDefinitions"]
    environment = {var["name"]: var["value"] for var in container["environment"]}
    secrets = {secret["name"] for secret in container["secrets"]}
    referenced = env_references(yaml.safe_load(ECS_INSTANCE.read_text()))

    assert referenced >= {"DAGSTER_PG_HOST", "DAGSTER_PG_PASSWORD"}
    assert referenced - set(environment) - secrets == set()
    # Plain values pass on the daemon's; the password only as a secret, never in plain text.
    assert {name: environment[name] for name in referenced - secrets} == {
        name: DAEMON_PG_ENV[name] for name in referenced - secrets
    }


def test_an_untagged_run_takes_the_default_task_size(aws):
    request, definition = _started_task(deliverables_job)

    assert (definition["cpu"], definition["memory"]) == ("1024", "3072")
    assert (request["overrides"]["cpu"], request["overrides"]["memory"]) == ("1024", "3072")
