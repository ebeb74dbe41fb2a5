"""Provenance of a table partition: its rows' run and settings, and the metadata naming what changed.

The `settings` metadata holds the partition's settings; `settings_changed` names each one that
differs from the previous materialization of the same partition (empty when none did).
"""

from typing import Any

from dagster import AssetExecutionContext, AssetRecordsFilter, MetadataValue

from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.core.tables.provenance import Provenance, changed_settings, upstream_provenance
from whale_assets.storage.window_arrays import StoredWindows, read_partition

SETTINGS_KEY = "settings"
SETTINGS_CHANGED_KEY = "settings_changed"
# Materializations searched for the previous one that recorded settings.
PREVIOUS_LOOKBACK = 20
NO_PREVIOUS_SETTINGS = {"unknown": "the previous materialization recorded no settings"}


def partition_provenance(
    context: AssetExecutionContext, classifications: StoredWindows, rule: DetectionRule
) -> Provenance:
    """This run's provenance, from the day's stored raw_audio, sifted_audio and classifications.

    The audio partitions are read next to the classifications (the storage layout `<root>/<asset>/<day>/`),
    so an asset needs only `classifications` as input; a partition not found gives None settings.
    """
    return upstream_provenance(
        context.run_id,
        _sibling_attributes(classifications, "raw_audio"),
        _sibling_attributes(classifications, "sifted_audio"),
        classifications.attributes,
        rule,
    )


def settings_metadata(context: AssetExecutionContext, provenance: Provenance) -> dict[str, Any]:
    """`settings` and `settings_changed` (versus the partition's previous materialization) metadata."""
    settings = provenance.settings()
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[context.partition_key]),
        limit=PREVIOUS_LOOKBACK,
    ).records
    previous: dict[str, Any] | None = None
    for record in records:  # newest first
        materialization = record.asset_materialization
        if materialization is not None and SETTINGS_KEY in materialization.metadata:
            previous = dict(materialization.metadata[SETTINGS_KEY].value)
            break
    if previous is None and records:
        changed: dict[str, Any] = NO_PREVIOUS_SETTINGS
    else:
        changed = changed_settings(previous, settings)
    if changed:
        context.log.info(f"{context.asset_key.to_user_string()} {context.partition_key}: settings changed: {changed}")
    return {SETTINGS_KEY: MetadataValue.json(settings), SETTINGS_CHANGED_KEY: MetadataValue.json(changed)}


def _sibling_attributes(stored: StoredWindows, asset: str) -> dict[str, Any]:
    try:
        return read_partition(stored.directory.parent.parent / asset / stored.directory.name).attributes
    except FileNotFoundError:
        return {}
