"""A write that fails removes its own temporary file (issue 23, finding 11: `.tmp` files from a full disk)."""

from __future__ import annotations

import errno
import os

import pytest

from whale_assets.resources import FileStore

pytestmark = pytest.mark.faults


def test_a_figure_written_on_a_full_disk_leaves_no_temporary(tmp_path, monkeypatch):
    store = FileStore(base_path=str(tmp_path / "images"), data_root=str(tmp_path))
    real_fsync = os.fsync

    def disk_full(descriptor):  # the moment a full disk shows on a buffered write
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        store.write("2023-09-14/a.0123456789.png", b"\x89PNG" * 1000)
    monkeypatch.setattr(os, "fsync", real_fsync)

    assert [p.name for p in (tmp_path / "images" / "2023-09-14").iterdir()] == []
