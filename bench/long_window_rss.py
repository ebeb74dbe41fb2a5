"""Peak memory of storing one long raw_audio window: read whole (before) vs streamed in pieces (now).

Each way runs in its own process on the same sparse local archive day and writes the window's
`.npy` with `write_partition`; the script prints each process's peak RSS and checks that both
files hold the same samples.

    .venv/bin/python bench/long_window_rss.py [--hours 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.demo.archive_writer import archive_path, write_day_file

DAY = dt.date(2023, 9, 14)
START_S = 3600.0
SEGMENT_S = 600

CHILD = """
import resource, sys, time
import numpy as np
import pandas as pd
from upath import UPath
from whale_assets.assets.raw_audio import _read_audio
from whale_assets.core.encounters.windows import EncounterWindow
from whale_assets.core.windows import WindowRecord
from whale_assets.sources.audio_archive import AudioArchive
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, write_partition

root, out, mode, start, hours = sys.argv[1], sys.argv[2], sys.argv[3], pd.Timestamp(sys.argv[4]), float(sys.argv[5])
end = start + pd.Timedelta(hours=hours)
archive = AudioArchive(root)
began = time.perf_counter()
if mode == "whole":
    audio = archive.read(start, end)
else:
    audio = _read_audio(archive, EncounterWindow("w", start, end, ("e",)))
write_partition(UPath(out), WindowArrays([WindowArray(WindowRecord("w", n_samples=int(audio.shape[0])), audio)]))
print(time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def archive_like_noise(seconds: float) -> Iterator[tuple[float, np.ndarray]]:
    """Reddish noise near 8e-5 RMS on a -0.0034 DC offset, ten minutes at a time."""
    rng = np.random.default_rng(0)
    for offset in np.arange(0, seconds, SEGMENT_S):
        white = rng.normal(0, 1, SEGMENT_S * ARCHIVE_SAMPLE_RATE)
        red = np.convolve(white, np.ones(32) / 32, mode="same")
        yield START_S + float(offset), (-0.0034 + 8e-5 * red / red.std()).astype(np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "archive"
        write_day_file(archive_path(root, DAY), archive_like_noise(args.hours * 3600))
        start = f"{DAY.isoformat()}T01:00:00Z"
        files = {}
        for mode in ("whole", "pieces"):
            out = Path(tmp) / mode
            began = time.perf_counter()
            child = [sys.executable, "-c", CHILD, str(root), str(out), mode, start, str(args.hours)]
            seconds, max_rss_kib = subprocess.run(child, check=True, capture_output=True, text=True).stdout.split()
            files[mode] = next(out.glob("*.npy"))
            print(
                f"{mode:>6}: peak RSS {int(max_rss_kib) / 1024:7.0f} MiB, "
                f"read+write {float(seconds):5.1f} s (process {time.perf_counter() - began:5.1f} s)"
            )
        whole, pieces = (np.load(files[m], mmap_mode="r") for m in ("whole", "pieces"))
        step = 10_000_000
        same = whole.shape == pieces.shape and all(
            np.array_equal(whole[i : i + step], pieces[i : i + step]) for i in range(0, whole.size, step)
        )
        print(f"window: {args.hours:g} h, {whole.size:,} samples, {whole.nbytes / 2**20:,.0f} MiB; identical: {same}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
