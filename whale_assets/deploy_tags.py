"""Run sizes for container run launchers, as job tags (`dagster-k8s/config`, `ecs/cpu`, `ecs/memory`).

`whale_assets/run_size` names the size, so the run queue can limit runs of one size
(`tag_concurrency_limits`, see deploy/k8s/values.yaml).

A run is one process executing a chain of steps (in-process executor), so the run's pod or task
is the unit to size: memory here is a pod resource, never a concurrency pool. Launchers that do
not read a tag ignore it (the default run launcher ignores all of them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

K8S_CONFIG_TAG = "dagster-k8s/config"
ECS_CPU_TAG = "ecs/cpu"
ECS_MEMORY_TAG = "ecs/memory"
RUN_SIZE_TAG = "whale_assets/run_size"


@dataclass(frozen=True)
class RunPodSize:
    """CPU and memory of one run's pod (Kubernetes) or task (ECS)."""

    name: str
    cpu_cores: int
    memory_gib: int
    memory_limit_gib: int

    def __post_init__(self) -> None:
        if self.cpu_cores < 1 or self.memory_gib < 1 or self.memory_limit_gib < self.memory_gib:
            raise ValueError(f"unusable run size {self}")

    def k8s_resources(self) -> dict[str, dict[str, str]]:
        # No CPU limit: a throttled TensorFlow run only gets slower; memory has a limit so a
        # runaway run is OOM-killed alone instead of starving its node.
        return {
            "requests": {"cpu": str(self.cpu_cores), "memory": f"{self.memory_gib}Gi"},
            "limits": {"memory": f"{self.memory_limit_gib}Gi"},
        }

    def tags(self) -> dict[str, str]:
        """Job tags read by `K8sRunLauncher` and `EcsRunLauncher` (ECS: 1024 CPU units a core, MiB)."""
        return {
            RUN_SIZE_TAG: self.name,
            K8S_CONFIG_TAG: json.dumps({"container_config": {"resources": self.k8s_resources()}}),
            ECS_CPU_TAG: str(1024 * self.cpu_cores),
            ECS_MEMORY_TAG: str(1024 * self.memory_limit_gib),
        }


# whale_pipeline scores only the sifted stretches around encounters, one core's worth.
PIPELINE_RUN = RunPodSize("pipeline", cpu_cores=1, memory_gib=3, memory_limit_gib=4)
# full_day_scoring scores a whole day in ten-minute chunks with the model in-process (80x real time
# at 1.22 GB peak RSS on 2 cores, README Performance): two cores, room above that peak.
FULL_DAY_RUN = RunPodSize("full_day", cpu_cores=2, memory_gib=4, memory_limit_gib=6)
