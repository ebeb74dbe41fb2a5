"""storage/layout.py names the paths the IO managers really write, and the checkpoints keep theirs."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
from dagster import DailyPartitionsDefinition, asset, materialize
from upath import UPath

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.day_chunks import plan_day_chunks
from whale_assets.core.windows import WindowRecord
from whale_assets.definitions import storage_resources
from whale_assets.resources import FileStore
from whale_assets.settings import Settings
from whale_assets.storage.fingerprints import FingerprintRegistry
from whale_assets.storage.io_managers import WindowArrayStorage
from whale_assets.storage.layout import (
    FILE_STORES,
    FINGERPRINTS_DIR,
    REVIEWS_DIR,
    array_partition_path,
    parquet_day_path,
    tables_url,
)
from whale_assets.storage.parquet_tables import ParquetTableStorage
from whale_assets.storage.score_checkpoints import ScoreCheckpoints
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, read_partition

DAY = dt.date(2023, 9, 14)
partitions = DailyPartitionsDefinition(start_date="2023-09-01", timezone="UTC")


def test_a_window_array_partition_is_stored_where_the_layout_says(tmp_path):
    window = np.full(1600, -0.0034, dtype=np.float32)

    @asset(partitions_def=partitions, io_manager_key="arrays")
    def window_audio() -> WindowArrays:
        return WindowArrays([WindowArray(WindowRecord("w1"), window)])

    storage = WindowArrayStorage(base_path=str(tmp_path))
    assert materialize([window_audio], partition_key=DAY.isoformat(), resources={"arrays": storage}).success
    stored = read_partition(array_partition_path(str(tmp_path), "window_audio", DAY))
    np.testing.assert_array_equal(stored.load("w1"), window)


def test_a_parquet_table_partition_is_stored_where_the_layout_says(tmp_path):
    frame = pd.DataFrame({"date": pd.Timestamp(DAY), "encounter_id": ["a", "b"]})

    @asset(partitions_def=partitions, io_manager_key="tables", metadata={"partition_expr": "date"})
    def encounters() -> pd.DataFrame:
        return frame

    root = tables_url(str(tmp_path))
    assert materialize(
        [encounters], partition_key=DAY.isoformat(), resources={"tables": ParquetTableStorage(base_path=root)}
    ).success
    path = parquet_day_path(root, "encounters", DAY)
    assert path == f"{tmp_path}/tables/encounters/date=2023-09-14/part-0.parquet"
    assert list(pd.read_parquet(path)["encounter_id"]) == ["a", "b"]


def test_a_checkpoint_written_before_the_move_to_storage_is_still_found(tmp_path):
    """The path and fingerprint of a chunk are those of earlier versions, so interrupted runs resume."""
    plan = plan_day_chunks(16_000 * 3600, WindowGrid.for_step(10_000), 16_000, 600)
    store = FileStore(base_path=str(tmp_path / "checkpoints"))
    chunk = plan.chunks[3]
    scores = np.linspace(0, 1, chunk.n_scored, dtype=np.float32)
    # Written as the earlier module wrote it (recipe and path format unchanged since then).
    earlier = f"daily_scores/2023-09-14/{EARLIER_FINGERPRINT}/chunk-0003.npy"
    buffer = io.BytesIO()
    np.save(buffer, scores, allow_pickle=False)
    (UPath(store.base_path) / earlier).parent.mkdir(parents=True)
    (UPath(store.base_path) / earlier).write_bytes(buffer.getvalue())
    np.testing.assert_array_equal(ScoreCheckpoints(store, DAY, "energy", plan).load(chunk), scores)


# plan_fingerprint("energy", the plan above), computed by whale_assets.sources.score_checkpoints
# at commit dcd4b40: a different value would orphan every checkpoint of an interrupted run.
EARLIER_FINGERPRINT = "dbb5fa19ea874c63"


def test_every_folder_the_resources_write_under_is_named_in_the_layout(tmp_path):
    settings = Settings.from_env({"WHALE_DATA_DIR": str(tmp_path / "data")})
    root = UPath(settings.storage_root)
    stores = {name: UPath(r.base_path) for name, r in storage_resources(settings).items() if isinstance(r, FileStore)}
    assert {name: path.relative_to(root).as_posix() for name, path in stores.items()} == {
        **FILE_STORES,
        "reviews": REVIEWS_DIR,
    }
    assert FingerprintRegistry(settings.storage_root).root == root / FINGERPRINTS_DIR
