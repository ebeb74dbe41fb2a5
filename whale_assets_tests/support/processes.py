"""Killing a child process at a chosen point: when it has written its `ready` file."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def sigkill_when_ready(process: subprocess.Popen, ready: Path, timeout_s: float, never_ready: str) -> None:
    """SIGKILL `process` once `ready` exists; fail with `never_ready` if it exits or times out first."""
    try:
        deadline = time.monotonic() + timeout_s
        while not ready.exists():
            assert process.poll() is None and time.monotonic() < deadline, never_ready
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
