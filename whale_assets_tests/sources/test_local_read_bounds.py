"""A local day-file read that never returns is given up after WHALE_READ_TIMEOUT_S (issue 23, finding 14)."""

from __future__ import annotations

import threading

import pytest

from whale_assets.sources.audio_archive import _bounded_local_read

pytestmark = pytest.mark.faults


def test_a_read_that_hangs_times_out_naming_the_file_and_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("WHALE_READ_TIMEOUT_S", "0.2")
    day_file = tmp_path / "MARS-20230914T000000Z-16kHz.wav"
    day_file.write_bytes(b"RIFF")
    released = threading.Event()
    with pytest.raises(TimeoutError, match=f"{day_file}.*WHALE_READ_TIMEOUT_S"):
        _bounded_local_read(str(day_file), lambda: released.wait(30))  # stands for a read stuck in the kernel
    released.set()


def test_a_read_that_answers_returns_its_bytes(tmp_path):
    day_file = tmp_path / "day.wav"
    day_file.write_bytes(b"RIFF")
    assert _bounded_local_read(str(day_file), day_file.read_bytes) == b"RIFF"
