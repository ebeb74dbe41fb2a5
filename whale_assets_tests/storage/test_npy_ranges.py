"""A piece of a stored window is read by offset (finding 5 of issue 23: figures of long windows)."""

from __future__ import annotations

import numpy as np
import pytest
from upath import UPath

from whale_assets.storage.npy_files import read_npy_range


@pytest.fixture
def stored(tmp_path):
    values = (-0.0034 + 8e-5 * np.random.default_rng(1).normal(size=50_000)).astype(np.float32)
    np.save(tmp_path / "w.npy", values)
    return UPath(tmp_path / "w.npy"), values


@pytest.mark.parametrize(("start", "stop"), [(0, 10), (123, 45_678), (49_990, 60_000), (-5, 3), (7, 7)])
def test_a_range_of_a_stored_array_reads_exactly_those_values(stored, start, stop):
    path, values = stored
    np.testing.assert_array_equal(read_npy_range(path, start, stop), values[max(0, start) : stop])


def test_a_truncated_array_file_is_named(stored):
    path, _ = stored
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=f"{path}.*truncated"):
        read_npy_range(path, 0, 50_000)
