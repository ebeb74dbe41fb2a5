"""Local storage reaches only runs on this machine: refuse it at run start under a run launcher
that places runs elsewhere (Kubernetes, ECS, Docker), unless a shared volume is declared."""

from __future__ import annotations

from dagster import DagsterInstance, Failure

SHARED_LOCAL_STORAGE_ENV = "WHALE_SHARED_LOCAL_STORAGE"
# Launchers whose runs execute on the machine (and disk) of the process that launched them.
# SameHostRunLauncher (whale_assets/run_launcher.py, the project's dagster.yaml) is a DefaultRunLauncher.
SAME_MACHINE_LAUNCHERS = frozenset({"DefaultRunLauncher", "SameHostRunLauncher", "SyncInMemoryRunLauncher"})


def run_launcher_name(instance: DagsterInstance) -> str:
    """The class name of the instance's run launcher, read from its config when it has one, so the
    launcher (a Kubernetes or ECS client) is not built in the run worker just to be named."""
    # An in-memory (ephemeral) instance has no config to read, and get_ref() refuses it.
    data = instance.get_ref().run_launcher_data if instance.is_persistent else None
    return data.class_name if data is not None else type(instance.run_launcher).__name__


def check_local_storage_reaches_runs(instance: DagsterInstance | None, shared_volume: bool) -> None:
    """Raise a Failure (not retried) when runs may execute on machines that cannot see the local data directory."""
    if instance is None or shared_volume:
        return
    launcher = run_launcher_name(instance)
    if launcher in SAME_MACHINE_LAUNCHERS:
        return
    raise Failure(
        description=(
            f"local storage (WHALE_STORAGE=local, WHALE_DATA_DIR) under the {launcher}: runs of this instance may "
            "execute on other machines, which cannot see this machine's data directory, and DuckDB allows one "
            "writer on one disk. Set WHALE_STORAGE=s3 with WHALE_S3_BUCKET for a multi-node deployment; or, if "
            f"every run really mounts the same volume at WHALE_DATA_DIR, declare it with {SHARED_LOCAL_STORAGE_ENV}=1"
        ),
        allow_retries=False,
    )
