"""The jobs' tags size their run pods (Kubernetes) and tasks (ECS) as intended."""

from __future__ import annotations

import pytest
from dagster_k8s.job import get_user_defined_k8s_config
from kubernetes.utils import parse_quantity

from whale_assets.deploy_tags import ECS_CPU_TAG, ECS_MEMORY_TAG, RUN_SIZE_TAG, RunPodSize
from whale_assets.jobs import deliverables_job, full_day_scoring_job, whale_pipeline_job


def _requests_and_limits(tags: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    resources = get_user_defined_k8s_config(tags).container_config["resources"]
    return resources["requests"], resources.get("limits", {})


def test_full_day_scoring_asks_for_more_cpu_and_memory_than_the_daily_pipeline():
    day_requests, day_limits = _requests_and_limits(full_day_scoring_job.tags)
    pipeline_requests, pipeline_limits = _requests_and_limits(whale_pipeline_job.tags)

    assert parse_quantity(day_requests["cpu"]) > parse_quantity(pipeline_requests["cpu"])
    assert parse_quantity(day_requests["memory"]) > parse_quantity(pipeline_requests["memory"])
    assert parse_quantity(day_limits["memory"]) > parse_quantity(pipeline_limits["memory"])
    assert int(full_day_scoring_job.tags[ECS_CPU_TAG]) > int(whale_pipeline_job.tags[ECS_CPU_TAG])
    assert int(full_day_scoring_job.tags[ECS_MEMORY_TAG]) > int(whale_pipeline_job.tags[ECS_MEMORY_TAG])


@pytest.mark.parametrize("job", [whale_pipeline_job, full_day_scoring_job], ids=lambda job: job.name)
def test_a_run_pod_requests_whole_cores_and_gets_a_memory_limit_above_its_request(job):
    requests, limits = _requests_and_limits(job.tags)

    assert parse_quantity(requests["cpu"]) >= 1
    assert "cpu" not in limits  # a throttled run only slows down; only memory is capped
    assert parse_quantity(limits["memory"]) >= parse_quantity(requests["memory"])
    # The ECS task gets the pod's CPU and its memory limit (ECS units: 1024 per vCPU, MiB).
    assert int(job.tags[ECS_CPU_TAG]) == 1024 * parse_quantity(requests["cpu"])
    assert int(job.tags[ECS_MEMORY_TAG]) * 2**20 == parse_quantity(limits["memory"])


def test_full_day_scoring_has_the_fargate_size_the_run_queue_limits():
    # Fargate accepts 2 vCPU with 4-16 GiB in 1 GiB steps, 1 vCPU with 2-8 GiB.
    assert full_day_scoring_job.tags[RUN_SIZE_TAG] == "full_day"
    assert full_day_scoring_job.tags[ECS_CPU_TAG] == "2048"
    assert int(full_day_scoring_job.tags[ECS_MEMORY_TAG]) in range(4096, 16385, 1024)
    assert int(whale_pipeline_job.tags[ECS_MEMORY_TAG]) in range(2048, 8193, 1024)


def test_deliverables_take_the_launchers_default_size():
    assert not set(deliverables_job.tags) & {RUN_SIZE_TAG, ECS_CPU_TAG, ECS_MEMORY_TAG, "dagster-k8s/config"}


@pytest.mark.parametrize("cpu, memory, limit", [(0, 2, 2), (1, 0, 1), (1, 4, 3)])
def test_a_run_size_without_cpu_memory_or_with_a_limit_below_its_request_is_refused(cpu, memory, limit):
    with pytest.raises(ValueError, match="unusable run size"):
        RunPodSize("x", cpu_cores=cpu, memory_gib=memory, memory_limit_gib=limit)
