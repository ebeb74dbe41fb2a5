"""Skip what already exists: compare a partition's fingerprint with the stored one before computing.

Every asset starts the same way, and returns what its IO manager expects for "keep what is stored":

    if (reuse := check_reuse(context, fingerprints, config, upstream=["raw_audio"])).reused:
        return reuse.placeholder
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from dagster import AssetExecutionContext, AssetRecordsFilter
from pydantic import Field

from whale_assets import __version__
from whale_assets.assets.partitions import ARRAY_IO_MANAGER, TABLE_IO_MANAGER
from whale_assets.assets.run_config import CheckedConfig
from whale_assets.core.fingerprint import fingerprint
from whale_assets.resources import FingerprintStore
from whale_assets.storage.metadata_keys import (
    FINGERPRINT_KEY,
    INCOMPLETE_KEY,
    REUSED_KEY,
)
from whale_assets.storage.window_arrays import WindowArrays

# An upstream asset read for the same partition, or (asset, partition key) for another one, such
# as the next day's daily_scores for a window that crosses midnight.
Upstream = str | tuple[str, str]

# What an asset returns for a reused partition, by IO manager: any value of the right type, since
# the IO manager sees the `reused` metadata and writes nothing.
PLACEHOLDERS: dict[str, Callable[[], Any]] = {
    ARRAY_IO_MANAGER: lambda: WindowArrays([]),
    TABLE_IO_MANAGER: pd.DataFrame,
}


# Materializations searched for the stored partition's: runs in between recomputed it otherwise.
STORED_METADATA_LOOKBACK = 20
# What describes this run, not the stored partition (re-added by check_reuse).
NOT_COPIED_ON_REUSE = frozenset({FINGERPRINT_KEY, REUSED_KEY})


class ReusableConfig(CheckedConfig):
    force: bool = Field(False, description="Recompute and replace even if an identical stored partition exists")

    def fingerprint_parameters(self) -> dict[str, Any]:
        """The settings that determine the stored partition: all but `force`."""
        return self.model_dump(exclude={"force"})


@dataclass(frozen=True)
class Reuse:
    fingerprint: str
    reused: bool
    placeholder: Any = None  # what to return when reused (see PLACEHOLDERS)


def check_reuse(
    context: AssetExecutionContext,
    store: FingerprintStore,
    config: ReusableConfig,
    upstream: Sequence[Upstream],
    extra: Mapping[str, Any] | None = None,
    missing_files: Callable[[], list[str]] | None = None,
) -> Reuse:
    """Fingerprint this partition from its config, `extra` (e.g. the model) and its upstream partitions.

    When the stored partition has the same fingerprint (and `force` is off), the asset returns
    without touching any outside service and the IO manager leaves the stored files alone; unless
    files it needs are gone: a window-array partition's own (checked here), or what
    `missing_files` reports (e.g. a table's rows naming files an upstream rewrite removed).
    """
    asset = context.asset_key.to_user_string()
    partition = context.partition_key
    parameters = {**config.fingerprint_parameters(), **(extra or {})}
    upstream_prints = {_upstream_label(item): _upstream_print(store, item, partition) for item in upstream}
    digest = fingerprint(asset, __version__, parameters, upstream_prints)
    stored = store.get(asset, partition)
    # An upstream partition without a fingerprint is incomplete or half-written: never build on it.
    upstream_final = all(value is not None for value in upstream_prints.values())
    reused = stored == digest and upstream_final and not config.force
    # A fingerprint over a partition that lost files (an old clean-up race, a manual delete) is
    # no reason to reuse it: every later run would fail reading it.
    reused = reused and _stored_whole(context, store, asset, partition, missing_files)
    if not upstream_final:
        # Built on an incomplete partition, this one is incomplete too: downstream must not reuse it.
        context.add_output_metadata({INCOMPLETE_KEY: True})
    if reused:
        context.log.info(f"{asset} {partition}: stored partition has fingerprint {digest}; reusing it")
    elif stored is not None and (config.force or stored != digest):
        reason = "force: true" if config.force else "parameters or upstream changed"
        context.log.info(f"{asset} {partition}: recomputing ({reason}; {stored} -> {digest})")
    stored_metadata = _stored_metadata(context, partition, digest) if reused else {}
    context.add_output_metadata({**stored_metadata, FINGERPRINT_KEY: digest, REUSED_KEY: reused})
    return Reuse(digest, reused, _placeholder(context) if reused else None)


def _stored_metadata(context: AssetExecutionContext, partition: str, digest: str) -> dict[str, Any]:
    """The metadata of the latest materialization that stored this very partition (same fingerprint).

    A reused partition is the stored one: its materialization shows the stored counts, row count,
    schema and previews again, so the UI and plots over time have no holes where runs reused it.
    None found (an instance that never saw it, e.g. a new Dagster home): only `reused` is shown.
    """
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[partition]), limit=STORED_METADATA_LOOKBACK
    ).records
    for record in records:  # newest first
        materialization = record.asset_materialization
        if materialization is None:
            continue
        metadata = materialization.metadata
        stored_print, incomplete = metadata.get(FINGERPRINT_KEY), metadata.get(INCOMPLETE_KEY)
        # An incomplete write was never stored under its fingerprint: it is not what is reused.
        if stored_print is not None and stored_print.value == digest and not (incomplete and incomplete.value):
            return {key: value for key, value in metadata.items() if key not in NOT_COPIED_ON_REUSE}
    return {}


def _stored_whole(
    context: AssetExecutionContext,
    store: FingerprintStore,
    asset: str,
    partition: str,
    missing_files: Callable[[], list[str]] | None,
) -> bool:
    """Whether every file the stored partition names exists."""
    missing = store.missing_array_files(asset, partition) if _io_manager(context) == ARRAY_IO_MANAGER else []
    if not missing and missing_files is not None:
        missing = missing_files()
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        context.log.warning(f"{asset} {partition}: stored partition lacks {shown}; recomputing instead of reusing")
    return not missing


def _io_manager(context: AssetExecutionContext) -> str:
    return context.assets_def.get_io_manager_key_for_asset_key(context.asset_key)


def _placeholder(context: AssetExecutionContext) -> Any:
    io_manager = _io_manager(context)
    if io_manager not in PLACEHOLDERS:
        raise KeyError(f"no reuse placeholder for IO manager {io_manager!r}: add one to PLACEHOLDERS")
    return PLACEHOLDERS[io_manager]()


def _upstream_label(item: Upstream) -> str:
    # Same-partition upstreams keep their bare name, so existing fingerprints stay valid.
    return item if isinstance(item, str) else f"{item[0]}[{item[1]}]"


def _upstream_print(store: FingerprintStore, item: Upstream, partition: str) -> str | None:
    asset, key = (item, partition) if isinstance(item, str) else item
    return store.get_output(asset, key)
