"""The one reuse mechanism: a reused partition returns its IO manager's placeholder and nothing is written."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, asset, instance_for_test, materialize
from upath import UPath

from whale_assets.assets.partitions import DAILY_ARRAYS, DAILY_TABLE
from whale_assets.assets.reuse import ReusableConfig, check_reuse
from whale_assets.core.windows import WindowRecord, WindowStatus
from whale_assets.resources import FingerprintStore
from whale_assets.storage.fingerprints import FingerprintRegistry
from whale_assets.storage.io_managers import WhaleDuckDBIOManager, WindowArrayStorage
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, read_partition

DAY = "2023-09-14"
RETURNED: dict[str, list] = {}


class ToyConfig(ReusableConfig):
    missing: bool = False  # the second window has no audio yet


def quiet_audio(n: int) -> np.ndarray:
    """Archive-like background: a small DC offset and reddish noise near 8e-5 RMS."""
    white = np.random.default_rng(3).normal(0, 1, n)
    red = np.cumsum(white) - np.convolve(np.cumsum(white), np.ones(64) / 64, mode="same")
    return (-0.0034 + 8e-5 * red / red.std()).astype(np.float32)


@asset(**DAILY_ARRAYS)
def toy_audio(context: AssetExecutionContext, config: ToyConfig, fingerprints: FingerprintStore) -> WindowArrays:
    if (reuse := check_reuse(context, fingerprints, config, upstream=[])).reused:
        RETURNED.setdefault("toy_audio", []).append(reuse.placeholder)
        return reuse.placeholder
    arrays = WindowArrays([])

    def windows() -> Iterator[WindowArray]:
        yield WindowArray(WindowRecord("w1", sample_rate=16_000), quiet_audio(16_000))
        if config.missing:
            arrays.incomplete = True  # known only once the window is reached, as in raw_audio
            yield WindowArray(WindowRecord("w2", WindowStatus.NO_AUDIO, reason="day file not yet published"))

    arrays.windows = windows()
    RETURNED.setdefault("toy_audio", []).append(arrays)
    return arrays


@asset(**DAILY_TABLE)
def toy_table(context: AssetExecutionContext, config: ToyConfig, fingerprints: FingerprintStore) -> pd.DataFrame:
    if (reuse := check_reuse(context, fingerprints, config, upstream=[])).reused:
        RETURNED.setdefault("toy_table", []).append(reuse.placeholder)
        return reuse.placeholder
    table = pd.DataFrame({"date": pd.Timestamp(DAY), "n": [1, 2]})
    RETURNED.setdefault("toy_table", []).append(table)
    return table


def run(tmp_path: Path, instance, **config):
    root = str(tmp_path / "store")
    resources = {
        "array_io_manager": WindowArrayStorage(base_path=root, fingerprint_root=root),
        "table_io_manager": WhaleDuckDBIOManager(
            database=str(tmp_path / "t.duckdb"), schema="main", fingerprint_root=root
        ),
        "fingerprints": FingerprintStore(root=root),
    }
    run_config = {"ops": {name: {"config": config} for name in ("toy_audio", "toy_table")}}
    return materialize(
        [toy_audio, toy_table], partition_key=DAY, resources=resources, instance=instance, run_config=run_config
    )


def materializations(result) -> dict[str, dict]:
    return {
        event.asset_key.path[-1]: {k: v.value for k, v in event.materialization.metadata.items()}
        for event in result.get_asset_materialization_events()
    }


def test_a_reused_partition_returns_its_io_managers_placeholder_and_nothing_is_written(tmp_path):
    RETURNED.clear()
    with instance_for_test() as instance:
        run(tmp_path, instance)
        index = tmp_path / "store" / "toy_audio" / DAY / "index.json"
        before = index.stat().st_mtime_ns, index.read_bytes()
        second = run(tmp_path, instance)
    assert {name: m["reused"] for name, m in materializations(second).items()} == {
        "toy_audio": True,
        "toy_table": True,
    }
    placeholder_arrays, placeholder_table = RETURNED["toy_audio"][1], RETURNED["toy_table"][1]
    assert isinstance(placeholder_arrays, WindowArrays) and list(placeholder_arrays.windows) == []
    assert isinstance(placeholder_table, pd.DataFrame) and placeholder_table.empty
    assert (index.stat().st_mtime_ns, index.read_bytes()) == before
    with duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True) as db:
        assert db.execute("select count(*) from main.toy_table").fetchone()[0] == 2


def test_windows_found_missing_while_written_make_the_partition_incomplete_and_unfingerprinted(tmp_path):
    RETURNED.clear()
    with instance_for_test() as instance:
        first = run(tmp_path, instance, missing=True)
        registry = FingerprintRegistry(str(tmp_path / "store"))
        assert registry.get("toy_audio", DAY) is None
        assert registry.get("toy_table", DAY) is not None
        metadata = materializations(first)["toy_audio"]
        assert metadata["incomplete"] is True and metadata["windows_no_audio"] == 1
        second = run(tmp_path, instance, missing=True)
    assert {name: m["reused"] for name, m in materializations(second).items()} == {
        "toy_audio": False,
        "toy_table": True,
    }


def test_a_partition_whose_index_names_missing_files_is_recomputed_not_reused(tmp_path):
    """Issue 14, finding 1: a fingerprint over a broken partition must not make every later run fail."""
    RETURNED.clear()
    with instance_for_test() as instance:
        run(tmp_path, instance)
        partition = UPath(tmp_path / "store" / "toy_audio" / DAY)
        for array in Path(partition.path).glob("*.npy"):
            array.unlink()  # what a concurrent run's clean-up used to do
        second = run(tmp_path, instance)
    assert materializations(second)["toy_audio"]["reused"] is False
    stored = read_partition(partition)
    assert stored.missing_files() == []
    np.testing.assert_array_equal(stored.load("w1"), quiet_audio(16_000))
