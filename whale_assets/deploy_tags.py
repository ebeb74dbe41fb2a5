"""Run sizes for container run launchers, as job tags (`dagster-k8s/config`, `ecs/cpu`, `ecs/memory`).

`whale_assets/run_size` names the size, so the run queue can limit runs of one size
(`tag_concurrency_limits`, see deploy/k8s/values.yaml).

A run is one process executing a chain of steps (in-process executor), so the run's pod or task
is the unit to size: memory here is a pod resource, never a concurrency pool. Only the tags the
configured run launcher reads are set: Kubernetes ones for `K8sRunLauncher`, ECS ones for
`EcsRunLauncher`, none for the default launcher (local runs, the launchpad pre-fills nothing).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import yaml

K8S_CONFIG_TAG = "dagster-k8s/config"
ECS_CPU_TAG = "ecs/cpu"
ECS_MEMORY_TAG = "ecs/memory"
RUN_SIZE_TAG = "whale_assets/run_size"
RUN_LAUNCHER_ENV = "WHALE_RUN_LAUNCHER"


class RunLauncherKind(str, Enum):
    """Which run launcher starts the runs: what decides the sizing tags a job carries."""

    LOCAL = "local"  # default, Docker and every launcher that reads no size tag
    K8S = "k8s"
    ECS = "ecs"


# The instance's `run_launcher.class` -> the tags it reads (dagster-k8s, dagster-aws).
LAUNCHER_CLASSES = {"K8sRunLauncher": RunLauncherKind.K8S, "EcsRunLauncher": RunLauncherKind.ECS}


def configured_run_launcher(env: Mapping[str, str] | None = None) -> RunLauncherKind:
    """`WHALE_RUN_LAUNCHER` (local, k8s, ecs) if set, else the class in `$DAGSTER_HOME/dagster.yaml`.

    Without either (tests, `dagster dev` without DAGSTER_HOME) runs are local.
    """
    env = os.environ if env is None else env
    if chosen := env.get(RUN_LAUNCHER_ENV, "").strip():
        try:
            return RunLauncherKind(chosen)
        except ValueError:
            valid = ", ".join(kind.value for kind in RunLauncherKind)
            raise ValueError(f"{RUN_LAUNCHER_ENV}={chosen!r} is not valid; use one of: {valid}") from None
    instance_yaml = Path(env.get("DAGSTER_HOME", "")) / "dagster.yaml" if env.get("DAGSTER_HOME") else None
    if instance_yaml is None or not instance_yaml.is_file():
        return RunLauncherKind.LOCAL
    launcher = (yaml.safe_load(instance_yaml.read_text()) or {}).get("run_launcher") or {}
    return LAUNCHER_CLASSES.get(str(launcher.get("class", "")), RunLauncherKind.LOCAL)


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

    def tags(self, launcher: RunLauncherKind) -> dict[str, str]:
        """The job tags `launcher` reads (ECS: 1024 CPU units a core, MiB); none for a local launcher."""
        if launcher is RunLauncherKind.K8S:
            sized = {K8S_CONFIG_TAG: json.dumps({"container_config": {"resources": self.k8s_resources()}})}
        elif launcher is RunLauncherKind.ECS:
            sized = {ECS_CPU_TAG: str(1024 * self.cpu_cores), ECS_MEMORY_TAG: str(1024 * self.memory_limit_gib)}
        else:
            return {}
        return {RUN_SIZE_TAG: self.name, **sized}


# whale_pipeline scores only the sifted stretches around encounters, one core's worth.
PIPELINE_RUN = RunPodSize("pipeline", cpu_cores=1, memory_gib=3, memory_limit_gib=4)
# full_day_scoring scores a whole day in ten-minute chunks with the model in-process (80x real time
# at 1.22 GB peak RSS on 2 cores, docs/performance.md): two cores, room above that peak.
FULL_DAY_RUN = RunPodSize("full_day", cpu_cores=2, memory_gib=4, memory_limit_gib=6)
