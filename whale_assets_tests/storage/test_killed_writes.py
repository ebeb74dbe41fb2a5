"""A process killed while writing a partition leaves the previous version readable, never a mix."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from upath import UPath

from whale_assets.core.windows import WindowRecord
from whale_assets.storage import window_arrays
from whale_assets.storage.partition_files import no_lock
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, read_partition, write_partition
from whale_assets_tests.support.processes import sigkill_when_ready

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

WRITER = """
import sys, time, pathlib
import numpy as np
from upath import UPath
from whale_assets.core.windows import WindowRecord
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, write_partition

directory, ready = UPath(sys.argv[1]), pathlib.Path(sys.argv[2])
write_partition(directory, WindowArrays([WindowArray(WindowRecord(f"w{i}", n_samples=1), np.full(1000, 1.0, np.float32)) for i in range(3)]))

def second_version():
    yield WindowArray(WindowRecord("w0", n_samples=2), np.full(1000, 2.0, np.float32))
    ready.touch()
    time.sleep(60)  # killed here, half-way through the new version
    yield WindowArray(WindowRecord("w1", n_samples=2), np.full(1000, 2.0, np.float32))

write_partition(directory, WindowArrays(second_version()))
"""


def test_a_writer_killed_mid_partition_leaves_the_previous_version_whole(tmp_path):
    directory, ready = tmp_path / "part", tmp_path / "ready"
    kill_writer_mid_partition(directory, ready)

    stored = read_partition(UPath(directory))
    assert [record.n_samples for record in stored] == [1, 1, 1]
    for record in stored:
        np.testing.assert_array_equal(stored.load(record.window_id), np.full(1000, 1.0, np.float32))


def kill_writer_mid_partition(directory, ready) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(ready)])
    sigkill_when_ready(writer, ready, 60, "writer never reached the new version")


def test_the_next_write_removes_the_files_a_killed_writer_left(tmp_path):
    """Issue 14, finding 4: orphan `.npy` files of a killed run do not outlive the next write."""
    directory = tmp_path / "part"
    kill_writer_mid_partition(directory, tmp_path / "ready")
    assert len(list(directory.glob("*.npy"))) == 4  # three committed, one orphan

    stored = write_partition(UPath(directory), WindowArrays([WindowArray(WindowRecord("w0", n_samples=3), np.ones(3))]))
    assert sorted(p.name for p in directory.glob("*.npy")) == [stored.record("w0").array.file]


def test_without_a_lock_only_orphans_older_than_any_write_are_removed(tmp_path, monkeypatch):
    """As on S3: a fresh unnamed file may belong to a writer still running, an old one cannot."""
    monkeypatch.setattr(window_arrays, "partition_lock", no_lock)
    stale, fresh = tmp_path / "w0.dead000001.npy", tmp_path / "w0.busy000002.npy"
    for orphan in (stale, fresh):
        np.save(orphan, np.ones(3))
    hours_ago = time.time() - 7 * 3600
    os.utime(stale, (hours_ago, hours_ago))
    write_partition(UPath(tmp_path), WindowArrays([WindowArray(WindowRecord("w0", n_samples=3), np.ones(3))]))
    assert not stale.exists() and fresh.exists()
