"""Peak memory of one long window's figure in `whale_results`: whole window mapped (before) vs read in pieces (now).

Writes a window's raw_audio `.npy` of archive-like noise, then in one child process per way
computes its spectrogram and renders the encounter PNG; prints each child's peak RSS, their ratio,
and whether the two spectrograms are identical.

    .venv/bin/python bench/figure_window_rss.py [--hours 6]
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.storage.npy_files import StreamedArray, write_npy

SEGMENT_S = 600

CHILD = """
import resource, sys, time
import numpy as np
import pandas as pd
from upath import UPath
from whale_assets.core.reports.spectrogram import window_spectrogram
from whale_assets.core.reports.streamed_spectrogram import streamed_spectrogram
from whale_assets.core.reports.window_figure import EncounterSummary, render_encounter_png
from whale_assets.core.scoring.pooling import DetectionRule
from whale_assets.storage.npy_files import read_npy_range

path, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
start = pd.Timestamp("2023-09-14T01:00:00Z")
began = time.perf_counter()
if mode == "whole":
    audio = np.load(path, mmap_mode="r")
    spectrogram = window_spectrogram(audio, 16000, start)
else:
    n = np.load(path, mmap_mode="r").shape[0]
    spectrogram = streamed_spectrogram(lambda a, b: read_npy_range(UPath(path), a, b), n, 16000, start)
end = start + pd.Timedelta(seconds=float(spectrogram.times_s[-1]))
png = render_encounter_png(spectrogram, None, (start, end), EncounterSummary("e", "w", 0.5, True), DetectionRule(0.5, 1))
np.save(out, spectrogram.power_db)
print(time.perf_counter() - began, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, len(png))
"""


def archive_like_noise(seconds: float):
    """Reddish noise near 8e-5 RMS on a -0.0034 DC offset, ten minutes at a time."""
    rng = np.random.default_rng(0)
    for _ in np.arange(0, seconds, SEGMENT_S):
        white = rng.normal(0, 1, SEGMENT_S * ARCHIVE_SAMPLE_RATE)
        red = np.convolve(white, np.ones(32) / 32, mode="same")
        yield (-0.0034 + 8e-5 * red / red.std()).astype(np.float32)


def cpu() -> str:
    text = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "?")
    words = set(text.split())
    flags = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8") if f in words]
    return f"{model} ({platform.machine()}); flags: {' '.join(flags) or 'none of avx2/avx512/amx'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=6.0)
    args = parser.parse_args()
    print(f"CPU: {cpu()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "window.npy"
        n = int(args.hours * 3600 / SEGMENT_S) * SEGMENT_S * ARCHIVE_SAMPLE_RATE
        from upath import UPath

        write_npy(UPath(path), StreamedArray(np.dtype(np.float32), n, archive_like_noise(args.hours * 3600)))
        rss = {}
        for mode in ("whole", "pieces"):
            began = time.perf_counter()
            child = [sys.executable, "-c", CHILD, str(path), mode, str(Path(tmp) / f"{mode}.npy")]
            seconds, max_rss_kib, png_bytes = subprocess.run(
                child, check=True, capture_output=True, text=True
            ).stdout.split()
            rss[mode] = int(max_rss_kib) / 1024
            print(
                f"{mode:>6}: peak RSS {rss[mode]:7.0f} MiB, spectrogram+PNG {float(seconds):5.1f} s "
                f"(process {time.perf_counter() - began:5.1f} s), PNG {int(png_bytes):,} bytes"
            )
        same = np.array_equal(np.load(Path(tmp) / "whole.npy"), np.load(Path(tmp) / "pieces.npy"))
        print(
            f"window: {args.hours:g} h, {n:,} samples, {n * 4 / 2**20:,.0f} MiB; whole/pieces RSS {rss['whole'] / rss['pieces']:.1f}x; identical spectrogram: {same}"
        )
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
