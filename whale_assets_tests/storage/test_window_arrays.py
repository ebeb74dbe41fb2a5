import json

import numpy as np
import pytest
from upath import UPath

from whale_assets.core.windows import WindowRecord, WindowStatus
from whale_assets.storage.partition_files import LOCK_NAME
from whale_assets.storage.window_arrays import (
    WindowArray,
    WindowArrays,
    read_partition,
    write_partition,
)


def partition(*windows, **attributes):
    return WindowArrays(iter(windows), attributes=attributes)


def window(window_id, array=None, **fields):
    return WindowArray(WindowRecord(window_id, **fields), array)


def test_a_written_partition_reads_back_with_its_metadata_and_arrays(tmp_path):
    directory = UPath(tmp_path / "raw_audio" / "2023-09-14")
    audio = np.arange(10, dtype=np.float32)
    write_partition(
        directory,
        partition(window("w1", audio), window("w2", status=WindowStatus.NO_AUDIO), margin_s=60),
    )
    stored = read_partition(directory)
    assert [(r.window_id, r.status) for r in stored] == [("w1", WindowStatus.OK), ("w2", WindowStatus.NO_AUDIO)]
    assert stored.attributes == {"margin_s": 60}
    np.testing.assert_array_equal(stored.load("w1"), audio)
    assert stored.load("w2") is None and stored.array_path("w2") is None


def test_local_arrays_are_memory_mapped_not_copied(tmp_path):
    directory = UPath(tmp_path)
    write_partition(directory, partition(window("w", np.zeros(1000, np.float32))))
    assert isinstance(read_partition(directory).load("w"), np.memmap)


def test_windows_are_written_one_at_a_time_from_a_generator(tmp_path):
    produced = []

    def windows():
        for i in range(3):
            produced.append(i)
            yield window(f"w{i}", np.full(4, i, np.float32))

    stored = write_partition(UPath(tmp_path), WindowArrays(windows()))
    assert produced == [0, 1, 2] and len(stored) == 3


def test_rewriting_replaces_the_old_version_and_leaves_no_stray_files(tmp_path):
    directory = UPath(tmp_path)
    write_partition(directory, partition(window("a", np.ones(3)), window("b", np.ones(3))))
    write_partition(directory, partition(window("a", np.zeros(3))))
    stored = read_partition(directory)
    assert [r.window_id for r in stored] == ["a"]
    np.testing.assert_array_equal(stored.load("a"), np.zeros(3))
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != LOCK_NAME)
    assert left == sorted(["index.json", stored.record("a").array.file])


def test_a_write_that_crashes_midway_leaves_the_previous_version_readable(tmp_path):
    directory = UPath(tmp_path)
    write_partition(directory, partition(window("a", np.ones(3), n_samples=1)))

    def failing():
        yield window("a", np.zeros(3), n_samples=2)
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        write_partition(directory, WindowArrays(failing()))
    stored = read_partition(directory)
    assert stored.record("a").n_samples == 1
    np.testing.assert_array_equal(stored.load("a"), np.ones(3))


def test_reading_a_missing_partition_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="materialize the upstream asset first"):
        read_partition(UPath(tmp_path / "nothing"))


def test_structured_score_tracks_round_trip(tmp_path):
    track = np.zeros(2, dtype=[("start_utc", "datetime64[ns]"), ("score", "float32")])
    track["score"] = [0.25, 0.75]
    write_partition(UPath(tmp_path), partition(window("w", track)))
    loaded = read_partition(UPath(tmp_path)).load("w")
    assert loaded.dtype == track.dtype and list(loaded["score"]) == [0.25, 0.75]
    assert json.loads((tmp_path / "index.json").read_text())["windows"][0]["nbytes"] == track.nbytes
