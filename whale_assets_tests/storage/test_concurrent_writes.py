"""Finding 1 (issue 14): concurrent writes of one partition never leave an index naming deleted files."""

import subprocess
import sys

import numpy as np
import pytest
from upath import UPath

from whale_assets.core.windows import WindowRecord
from whale_assets.storage import window_arrays
from whale_assets.storage.partition_files import no_lock
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, read_partition, write_partition

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

WRITER = """
import sys
import numpy as np
from upath import UPath
from whale_assets.core.windows import WindowRecord
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, write_partition

directory, value, rounds = UPath(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
for _ in range(rounds):
    windows = (WindowArray(WindowRecord(f"w{i}", n_samples=20_000), np.full(20_000, value, np.float32)) for i in range(4))
    write_partition(directory, WindowArrays(windows))
"""


def quiet(n: int, value: float) -> np.ndarray:
    return np.full(n, value, np.float32)


def assert_whole(directory: UPath) -> None:
    stored = read_partition(directory)
    assert stored.missing_files() == []
    for record in stored:
        assert stored.load(record.window_id).shape == (record.n_samples,)


def test_two_processes_rewriting_one_partition_leave_it_whole(tmp_path):
    directory = tmp_path / "raw_audio" / "2023-09-14"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(directory), str(value), "25"])
        for value in (-0.0034, -0.0035)
    ]
    for writer in writers:
        assert writer.wait(timeout=180) == 0
    assert_whole(UPath(directory))
    write_partition(UPath(directory), WindowArrays([WindowArray(WindowRecord("w0", n_samples=5), quiet(5, 0.0))]))
    assert_whole(UPath(directory))


def test_a_write_that_finishes_during_another_keeps_the_other_ones_files(tmp_path, monkeypatch):
    """Without any lock (as on S3) clean-up removes only what a write replaced, never files it does not know."""
    monkeypatch.setattr(window_arrays, "partition_lock", no_lock)
    directory = UPath(tmp_path)

    def slow_writer():
        yield WindowArray(WindowRecord("a", n_samples=3), quiet(3, 1.0))
        # Another run writes and commits the whole partition meanwhile.
        write_partition(directory, WindowArrays([WindowArray(WindowRecord("a", n_samples=4), quiet(4, 2.0))]))
        yield WindowArray(WindowRecord("b", n_samples=3), quiet(3, 1.0))

    write_partition(directory, WindowArrays(slow_writer()))
    assert_whole(directory)
    np.testing.assert_array_equal(read_partition(directory).load("a"), quiet(3, 1.0))


def test_missing_files_lists_the_array_files_the_index_names_but_the_store_lacks(tmp_path):
    directory = UPath(tmp_path)
    stored = write_partition(directory, WindowArrays([WindowArray(WindowRecord("a", n_samples=3), quiet(3, 1.0))]))
    assert stored.missing_files() == []
    (tmp_path / stored.record("a").array.file).unlink()
    assert read_partition(directory).missing_files() == [stored.record("a").array.file]


def test_a_failed_write_removes_its_own_files(tmp_path):
    directory = UPath(tmp_path)

    def failing():
        yield WindowArray(WindowRecord("a", n_samples=3), quiet(3, 1.0))
        raise RuntimeError("archive went away")

    with pytest.raises(RuntimeError):
        write_partition(directory, WindowArrays(failing()))
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".npy"] == []


def test_a_reader_whose_index_another_run_replaced_reads_the_window_from_the_new_index(tmp_path):
    """Issue 23, finding 2: whale_results failed with FileNotFoundError on an array the other run replaced."""
    directory = UPath(tmp_path)
    write_partition(directory, WindowArrays([WindowArray(WindowRecord("a", n_samples=3), quiet(3, 1.0))]))
    read_before = read_partition(directory)
    write_partition(directory, WindowArrays([WindowArray(WindowRecord("a", n_samples=3), quiet(3, 2.0))]))
    assert read_before.missing_files() == [read_before.record("a").array.file]  # the old file really is gone
    np.testing.assert_array_equal(read_before.load("a"), quiet(3, 2.0))
    assert read_before.array_path("a") == str(directory / read_partition(directory).record("a").array.file)


def test_a_reader_of_a_window_the_new_version_dropped_is_told_to_rerun(tmp_path):
    directory = UPath(tmp_path)
    write_partition(directory, WindowArrays([WindowArray(WindowRecord("a", n_samples=3), quiet(3, 1.0))]))
    read_before = read_partition(directory)
    write_partition(directory, WindowArrays([WindowArray(WindowRecord("b", n_samples=3), quiet(3, 2.0))]))
    with pytest.raises(FileNotFoundError, match="has no window 'a'.*re-run this asset"):
        read_before.load("a")


def test_an_array_missing_from_the_current_index_is_named_not_reread_forever(tmp_path):
    directory = UPath(tmp_path)
    stored = write_partition(directory, WindowArrays([WindowArray(WindowRecord("a", n_samples=3), quiet(3, 1.0))]))
    (tmp_path / stored.record("a").array.file).unlink()
    with pytest.raises(FileNotFoundError, match=r"\.npy is missing although .*index\.json names it"):
        stored.load("a")


READER = """
import sys
from upath import UPath
from whale_assets.storage.window_arrays import read_partition

directory, rounds = UPath(sys.argv[1]), int(sys.argv[2])
for _ in range(rounds):
    stored = read_partition(directory)
    for record in stored:
        assert stored.load(record.window_id).shape == (record.n_samples,)
"""


def test_a_reader_process_never_fails_while_another_process_rewrites_the_partition(tmp_path):
    directory = tmp_path / "classifications" / "2023-09-14"
    write_partition(
        UPath(directory),
        WindowArrays(WindowArray(WindowRecord(f"w{i}", n_samples=20_000), quiet(20_000, 0.0)) for i in range(4)),
    )
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(directory), "-0.0034", "40"])
    reader = subprocess.run(
        [sys.executable, "-c", READER, str(directory), "200"], capture_output=True, text=True, timeout=300
    )
    assert writer.wait(timeout=300) == 0
    assert reader.returncode == 0, reader.stderr[-3000:]
