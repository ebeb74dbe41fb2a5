"""A process killed while writing a partition leaves the previous version readable, never a mix."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
from upath import UPath

from whale_assets.storage.window_arrays import read_partition

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
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(ready)])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert writer.poll() is None and time.monotonic() < deadline, "writer never reached the new version"
            time.sleep(0.05)
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()

    stored = read_partition(UPath(directory))
    assert [record.n_samples for record in stored] == [1, 1, 1]
    for record in stored:
        np.testing.assert_array_equal(stored.load(record.window_id), np.full(1000, 1.0, np.float32))
