"""The jobs' tags size their run pods (Kubernetes) and tasks (ECS) as intended, and local runs carry none."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster_k8s.job import get_user_defined_k8s_config
from kubernetes.utils import parse_quantity

from whale_assets.deploy_tags import (
    ECS_CPU_TAG,
    ECS_MEMORY_TAG,
    K8S_CONFIG_TAG,
    RUN_SIZE_TAG,
    RunLauncherKind,
    RunPodSize,
    configured_run_launcher,
)
from whale_assets.jobs import build_jobs

whale_pipeline_job, full_day_scoring_job, deliverables_job, _reviews_job = build_jobs(RunLauncherKind.K8S)
REPO = Path(__file__).resolve().parents[2]
ECS_JOBS = {job.name: job for job in build_jobs(RunLauncherKind.ECS)}


def _requests_and_limits(tags: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    resources = get_user_defined_k8s_config(tags).container_config["resources"]
    return resources["requests"], resources.get("limits", {})


def test_full_day_scoring_asks_for_more_cpu_and_memory_than_the_daily_pipeline():
    day_requests, day_limits = _requests_and_limits(full_day_scoring_job.tags)
    pipeline_requests, pipeline_limits = _requests_and_limits(whale_pipeline_job.tags)

    assert parse_quantity(day_requests["cpu"]) > parse_quantity(pipeline_requests["cpu"])
    assert parse_quantity(day_requests["memory"]) > parse_quantity(pipeline_requests["memory"])
    assert parse_quantity(day_limits["memory"]) > parse_quantity(pipeline_limits["memory"])
    ecs_day, ecs_pipeline = ECS_JOBS["full_day_scoring"].tags, ECS_JOBS["whale_pipeline"].tags
    assert int(ecs_day[ECS_CPU_TAG]) > int(ecs_pipeline[ECS_CPU_TAG])
    assert int(ecs_day[ECS_MEMORY_TAG]) > int(ecs_pipeline[ECS_MEMORY_TAG])


@pytest.mark.parametrize("job", [whale_pipeline_job, full_day_scoring_job], ids=lambda job: job.name)
def test_a_run_pod_requests_whole_cores_and_gets_a_memory_limit_above_its_request(job):
    requests, limits = _requests_and_limits(job.tags)

    assert parse_quantity(requests["cpu"]) >= 1
    assert "cpu" not in limits  # a throttled run only slows down; only memory is capped
    assert parse_quantity(limits["memory"]) >= parse_quantity(requests["memory"])
    # The ECS task gets the pod's CPU and its memory limit (ECS units: 1024 per vCPU, MiB).
    ecs = ECS_JOBS[job.name].tags
    assert int(ecs[ECS_CPU_TAG]) == 1024 * parse_quantity(requests["cpu"])
    assert int(ecs[ECS_MEMORY_TAG]) * 2**20 == parse_quantity(limits["memory"])


def test_full_day_scoring_has_the_fargate_size_the_run_queue_limits():
    # Fargate accepts 2 vCPU with 4-16 GiB in 1 GiB steps, 1 vCPU with 2-8 GiB.
    full_day, pipeline = ECS_JOBS["full_day_scoring"].tags, ECS_JOBS["whale_pipeline"].tags
    assert full_day[RUN_SIZE_TAG] == "full_day"
    assert full_day[ECS_CPU_TAG] == "2048"
    assert int(full_day[ECS_MEMORY_TAG]) in range(4096, 16385, 1024)
    assert int(pipeline[ECS_MEMORY_TAG]) in range(2048, 8193, 1024)


def test_deliverables_take_the_launchers_default_size():
    assert not set(deliverables_job.tags) & {RUN_SIZE_TAG, ECS_CPU_TAG, ECS_MEMORY_TAG, K8S_CONFIG_TAG}


def test_each_launcher_gets_only_the_tags_it_reads_and_local_runs_none():
    assert all(job.tags == {} for job in build_jobs(RunLauncherKind.LOCAL))  # nothing pre-filled in the launchpad
    assert not {ECS_CPU_TAG, ECS_MEMORY_TAG} & set(full_day_scoring_job.tags)
    assert K8S_CONFIG_TAG not in ECS_JOBS["full_day_scoring"].tags


def test_the_launcher_comes_from_the_setting_or_else_the_instance_file(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    assert configured_run_launcher({}) is RunLauncherKind.LOCAL
    assert configured_run_launcher({"DAGSTER_HOME": str(home)}) is RunLauncherKind.LOCAL  # no dagster.yaml
    (home / "dagster.yaml").write_text("run_launcher:\n  module: dagster_aws.ecs\n  class: EcsRunLauncher\n")
    assert configured_run_launcher({"DAGSTER_HOME": str(home)}) is RunLauncherKind.ECS
    assert configured_run_launcher({"DAGSTER_HOME": str(home), "WHALE_RUN_LAUNCHER": "k8s"}) is RunLauncherKind.K8S
    with pytest.raises(ValueError, match="WHALE_RUN_LAUNCHER='docker' is not valid; use one of: local, k8s, ecs"):
        configured_run_launcher({"WHALE_RUN_LAUNCHER": "docker"})


@pytest.mark.parametrize(
    "instance_file", ["dagster.yaml", "deploy/docker/dagster.yaml", "deploy/postgres/dagster.yaml"]
)
def test_the_projects_local_docker_and_postgres_instances_give_untagged_runs(instance_file, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / instance_file).read_text())
    assert configured_run_launcher({"DAGSTER_HOME": str(home)}) is RunLauncherKind.LOCAL


def test_the_ecs_instance_file_gives_ecs_sized_runs(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy/ecs/dagster.yaml").read_text())
    assert configured_run_launcher({"DAGSTER_HOME": str(home)}) is RunLauncherKind.ECS


@pytest.mark.parametrize("cpu, memory, limit", [(0, 2, 2), (1, 0, 1), (1, 4, 3)])
def test_a_run_size_without_cpu_memory_or_with_a_limit_below_its_request_is_refused(cpu, memory, limit):
    with pytest.raises(ValueError, match="unusable run size"):
        RunPodSize("x", cpu_cores=cpu, memory_gib=memory, memory_limit_gib=limit)
