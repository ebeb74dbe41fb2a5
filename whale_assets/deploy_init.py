"""`whale-assets deploy-init`: set every pool's limit explicitly in the configured Dagster instance.

Pools left to `pools.default_limit` are created on first use, and on Postgres two runs creating
the same pool at once can fail with a unique violation (an open upstream issue); a limit set
beforehand avoids that. Pool names come from the assets' `pool=`; limits are cluster-wide.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from dagster import AssetChecksDefinition, AssetsDefinition, DagsterInstance, PreviewWarning

PODS_ENV = "WHALE_DEPLOY_PODS"
LIMITS_ENV = "WHALE_POOL_LIMITS"


class DeployInitError(ValueError):
    """A pod count, a limit or the instance cannot be used; the message says what to do."""


@dataclass(frozen=True)
class PoolLimit:
    pool: str
    limit: int
    previous: int | None  # the explicit limit before, None when the pool had none (or only the default)


def definition_pools(definitions: Iterable[AssetsDefinition | AssetChecksDefinition]) -> set[str]:
    """The pools the assets and checks declare (`pool=`)."""
    return {pool for definition in definitions for pool in definition.node_def.pools}


def project_pools() -> set[str]:
    """The pools of every asset and check of the code location."""
    with warnings.catch_warnings():  # partitioned checks are a preview feature: known, not news here
        warnings.simplefilter("ignore", PreviewWarning)
        from whale_assets.assets import ALL_ASSETS
        from whale_assets.assets.checks import ALL_CHECKS

    return definition_pools([*ALL_ASSETS, *ALL_CHECKS])


# One node shares its RAM (model_scoring) and its DuckDB file (duckdb_writers): 1 slot each. With N
# run pods (S3 storage), each pod brings its own memory and tables are atomic Parquet objects, so
# each pool gets a slot per pod: a cluster-wide 1 would make the pods wait on each other.
def pool_limits(pools: Iterable[str], pods: int = 1, overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """The limit of each pool: one node (`pods=1`) gives 1 everywhere, N run pods N; `overrides` win."""
    if pods < 1:
        raise DeployInitError(f"pods must be a positive integer (got {pods})")
    pools = set(pools)
    overrides = dict(overrides or {})
    unknown = sorted(set(overrides) - pools)
    if unknown:
        raise DeployInitError(
            f"unknown pool(s) {', '.join(unknown)}; the definitions declare: {', '.join(sorted(pools))}"
        )
    _refuse_below_one(overrides)
    return {pool: overrides.get(pool, pods) for pool in sorted(pools)}


def _refuse_below_one(limits: Mapping[str, int]) -> None:
    # A limit of 0 is legal to Dagster but blocks every step of the pool for ever ("Step blocked by
    # limit"), with no error: no deployment wants that.
    below_one = {pool: limit for pool, limit in limits.items() if limit < 1}
    if below_one:
        listed = ", ".join(f"{pool}={limit}" for pool, limit in sorted(below_one.items()))
        raise DeployInitError(
            f"pool limit {listed} must be at least 1: a pool with no slot blocks every run's steps for ever"
        )


def parse_limits(items: Sequence[str]) -> dict[str, int]:
    """`["model_scoring=4", "duckdb_writers=1"]` (or one comma-separated string) -> {pool: limit}."""
    limits: dict[str, int] = {}
    for item in (part.strip() for entry in items for part in entry.split(",")):
        if not item:
            continue
        pool, sep, value = item.partition("=")
        value = value.strip()
        if not sep or not value.lstrip("-").isdigit():
            raise DeployInitError(f"pool limit {item!r} is not POOL=N (e.g. model_scoring=4)")
        limits[pool.strip()] = int(value)  # a negative N is parsed so that the refusal names the rule
    return limits


def limits_from(pods: int | None, limits: Sequence[str], env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Flags first, then WHALE_DEPLOY_PODS / WHALE_POOL_LIMITS, then one node's defaults."""
    env = os.environ if env is None else env
    if pods is None:
        raw = env.get(PODS_ENV, "1").strip() or "1"
        if not raw.isdigit():
            raise DeployInitError(f"{PODS_ENV}={raw!r} is not a positive integer")
        pods = int(raw)
    overrides = {**parse_limits([env.get(LIMITS_ENV, "")]), **parse_limits(limits)}
    _refuse_below_one(overrides)  # before loading the definitions, which takes seconds
    return pool_limits(project_pools(), pods, overrides)


def apply_pool_limits(instance: DagsterInstance, limits: Mapping[str, int]) -> list[PoolLimit]:
    """Set each limit in the instance (idempotent), as `dagster instance concurrency set` does."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        raise DeployInitError(
            f"this instance's storage ({type(storage).__name__}) has no pool limits; use Postgres "
            "(deploy/postgres/dagster.yaml) or the default SQLite storage"
        )
    before = {info.name: info.limit for info in storage.get_pool_limits() if not info.from_default}
    applied = []
    for pool, limit in limits.items():
        storage.set_concurrency_slots(pool, limit)
        applied.append(PoolLimit(pool, limit, before.get(pool)))
    return applied


def deploy_init(pods: int | None = None, limits: Sequence[str] = ()) -> list[PoolLimit]:
    """Set the project's pool limits in the instance of $DAGSTER_HOME."""
    wanted = limits_from(pods, limits)
    if not os.environ.get("DAGSTER_HOME"):
        raise DeployInitError("DAGSTER_HOME is not set: point it at the folder holding the instance's dagster.yaml")
    with DagsterInstance.get() as instance:
        return apply_pool_limits(instance, wanted)
