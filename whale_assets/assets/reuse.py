"""Skip what already exists: compare a partition's fingerprint with the stored one before computing."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dagster import AssetExecutionContext, Config
from pydantic import Field

from whale_assets import __version__
from whale_assets.core.fingerprint import fingerprint
from whale_assets.resources import FingerprintStore
from whale_assets.storage.fingerprints import FINGERPRINT_KEY, INCOMPLETE_KEY, REUSED_KEY


class ReusableConfig(Config):
    force: bool = Field(False, description="Recompute and replace even if an identical stored partition exists")


@dataclass(frozen=True)
class Reuse:
    fingerprint: str
    reused: bool


def check_reuse(
    context: AssetExecutionContext,
    store: FingerprintStore,
    config: ReusableConfig,
    upstream: Sequence[str],
    extra: Mapping[str, Any] | None = None,
) -> Reuse:
    """Fingerprint this partition from its config, `extra` (e.g. the model) and its upstream partitions.

    When the stored partition has the same fingerprint (and `force` is off), the asset returns
    without touching any outside service and the IO manager leaves the stored files alone.
    """
    asset = context.asset_key.to_user_string()
    partition = context.partition_key
    parameters = {**config.model_dump(exclude={"force"}), **(extra or {})}
    upstream_prints = {name: store.get_output(name, partition) for name in upstream}
    digest = fingerprint(asset, __version__, parameters, upstream_prints)
    stored = store.get(asset, partition)
    # An upstream partition without a fingerprint is incomplete or half-written: never build on it.
    upstream_final = all(value is not None for value in upstream_prints.values())
    reused = stored == digest and upstream_final and not config.force
    if not upstream_final:
        # Built on an incomplete partition, this one is incomplete too: downstream must not reuse it.
        context.add_output_metadata({INCOMPLETE_KEY: True})
    if reused:
        context.log.info(f"{asset} {partition}: stored partition has fingerprint {digest}; reusing it")
    elif stored is not None:
        reason = "force: true" if config.force else "parameters or upstream changed"
        context.log.info(f"{asset} {partition}: recomputing ({reason}; {stored} -> {digest})")
    context.add_output_metadata({FINGERPRINT_KEY: digest, REUSED_KEY: reused})
    return Reuse(digest, reused)
