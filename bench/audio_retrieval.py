"""Bytes and time to fetch encounter windows: exact range reads vs reading from the file start.

The systems before us read every byte of the day file from its start up to the window's end.
`AudioArchive` reads the header once per day and then exactly the window's bytes. This runs
both on the same windows, side by side, checks they return the same samples, and prints bytes
read / bytes needed for each.

    python bench/audio_retrieval.py                      # a sparse full-length day in a temp dir
    python bench/audio_retrieval.py --root s3://pacific-sound-16khz --day 2018-11-01   # the real one

On a sparse local day the unwritten parts are file-system holes, which read at memory speed:
the wall times there flatter the start-of-file reader; the byte counts are what a network pays.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from whale_assets.core.audio.day_slices import split_by_day
from whale_assets.core.audio.pcm import pcm24_to_float32
from whale_assets.core.audio.wav_header import parse_wav_header
from whale_assets.core.hydrophone import DAY_SECONDS
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.sources.audio_archive import AudioArchive

CHUNK = 16 << 20  # the start-of-file reader streams in 16 MiB pieces so memory stays bounded


def pick_windows(n: int, seed: int) -> list[tuple[int, int]]:
    """n windows of 10-60 whole minutes, one starting in each n-th of the day: (start_s, end_s)."""
    rng = np.random.default_rng(seed)
    windows = []
    for i in range(n):
        length = int(rng.integers(10, 61)) * 60
        lo, hi = i * DAY_SECONDS // n, min((i + 1) * DAY_SECONDS // n, DAY_SECONDS - length)
        start = int(rng.integers(lo, max(lo, hi) + 1))
        windows.append((start, start + length))
    return windows


def read_from_file_start(archive: AudioArchive, day: dt.date, first: int, n: int) -> tuple[np.ndarray, int]:
    """The earlier systems' way: stream the file from byte 0 to the window's last byte."""
    path = archive.day_path(day)
    got = bytearray()
    read = 0
    with archive.fs.open(path, "rb", block_size=CHUNK) as f:
        head = f.read(CHUNK)
        read += len(head)
        layout = parse_wav_header(head, path)
        start, end = layout.byte_range(first, n)
        pos, piece = 0, head
        while True:
            got += piece[max(start - pos, 0) : max(min(end - pos, len(piece)), 0)]
            pos += len(piece)
            if pos >= end:
                break
            piece = f.read(min(CHUNK, end - pos))
            read += len(piece)
    return pcm24_to_float32(bytes(got)), read


def build_day(root: Path, day: dt.date, windows: list[tuple[int, int]]) -> None:
    """A sparse full-length day with one second of noise at each window's start and end, to check samples."""
    rng = np.random.default_rng(1)
    marks = [(s, rng.uniform(-0.5, 0.5, 16_000).astype(np.float32)) for w in windows for s in (w[0], w[1] - 1)]
    write_day_file(archive_path(root, day), marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help="archive root (directory or s3://...); default: build a sparse day")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2019, 3, 1))
    parser.add_argument("--endpoint-url")
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    windows = pick_windows(args.windows, args.seed)
    with tempfile.TemporaryDirectory(prefix="audio-bench-") as tmp:
        root = args.root or tmp
        if not args.root:
            build_day(Path(tmp), args.day, windows)
        run(AudioArchive(root, endpoint_url=args.endpoint_url), args.day, windows)


def run(archive: AudioArchive, day: dt.date, windows: list[tuple[int, int]]) -> None:
    midnight = pd.Timestamp(day, tz="UTC")
    print(f"archive {archive.root}, day {day}, {len(windows)} windows (10-60 min)\n")
    print(
        f"{'window (UTC)':<19} {'min':>3} {'needed MB':>10} {'ours MB':>9} {'ours/need':>10} "
        f"{'start-of-file MB':>16} {'sof/need':>9} {'sof/ours':>9} {'ours s':>7} {'sof s':>7}"
    )
    totals = np.zeros(5)
    for start_s, end_s in windows:
        (piece,) = split_by_day(midnight + pd.Timedelta(seconds=start_s), midnight + pd.Timedelta(seconds=end_s))
        needed = 3 * piece.n_samples
        before, t0 = archive.bytes_read, time.perf_counter()
        ours = archive.read(midnight + pd.Timedelta(seconds=start_s), midnight + pd.Timedelta(seconds=end_s))
        t1 = time.perf_counter()
        ours_bytes = archive.bytes_read - before
        theirs, theirs_bytes = read_from_file_start(archive, day, piece.first_sample, piece.n_samples)
        t2 = time.perf_counter()
        if not np.array_equal(ours, theirs):
            raise SystemExit(f"window {start_s}-{end_s} s: the two readers disagree")
        totals += (needed, ours_bytes, theirs_bytes, t1 - t0, t2 - t1)
        span = f"{start_s // 3600:02d}:{start_s // 60 % 60:02d}-{end_s // 3600:02d}:{end_s // 60 % 60:02d}"
        print(
            f"{span:<19} {(end_s - start_s) // 60:>3} {needed / 1e6:>10.1f} {ours_bytes / 1e6:>9.1f} "
            f"{ours_bytes / needed:>10.5f} {theirs_bytes / 1e6:>16.1f} {theirs_bytes / needed:>9.2f} "
            f"{theirs_bytes / ours_bytes:>9.1f} {t1 - t0:>7.3f} {t2 - t1:>7.3f}"
        )
    needed, ours_bytes, theirs_bytes, t_ours, t_theirs = totals
    print(
        f"{'total':<19} {'':>3} {needed / 1e6:>10.1f} {ours_bytes / 1e6:>9.1f} {ours_bytes / needed:>10.5f} "
        f"{theirs_bytes / 1e6:>16.1f} {theirs_bytes / needed:>9.2f} {theirs_bytes / ours_bytes:>9.1f} "
        f"{t_ours:>7.2f} {t_theirs:>7.2f}"
    )
    print(
        f"\nexact range reads: {ours_bytes / needed:.5f} x the bytes needed (target <= 1.01), "
        f"{t_ours:.2f} s; from the file start: {theirs_bytes / needed:.2f} x, {t_theirs:.2f} s "
        f"({theirs_bytes / ours_bytes:.1f} x the bytes, {t_theirs / t_ours:.1f} x the time)"
    )
    rate = 50e6  # a modelled, not measured, network stream of 50 MB/s
    print(
        f"transfer alone at {rate / 1e6:.0f} MB/s (modelled): {ours_bytes / rate:.0f} s vs {theirs_bytes / rate:.0f} s"
    )
    print("sof = reading from the start of the day file to the window's end (the earlier systems)")


if __name__ == "__main__":
    main()
