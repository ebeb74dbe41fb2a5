"""Full-day scoring with the `energy` classifier on one core: `daily_scores`' path, x real time.

Writes a stretch of archive day file (red ocean noise with synthetic song, 16 kHz 24-bit) in a
temp folder, pins this process to one core, and times `score_day` (byte-range reads, gap check,
resampling, the detector with its 15-minute noise-floor margin each side) at the default chunk
length and at one hour, side by side. The target is >= 500x real time on one core.

    .venv/bin/python bench/energy_full_day.py               # two hours of audio
    .venv/bin/python bench/energy_full_day.py --minutes 1440
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from full_day_scoring import DAY, RATE, write_archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0, help="audio to score")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    from whale_assets.core.scoring.day_chunks import DEFAULT_CHUNK_S, plan_day_chunks
    from whale_assets.core.scoring.day_scoring import neighbourhood_windows, score_day
    from whale_assets.core.scoring.energy import EnergyClassifier
    from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable

    classifier = EnergyClassifier()
    audio_s = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="whale-bench-") as tmp:
        write_archive(Path(tmp), args.minutes)
        archive = AudioArchive(tmp)
        print(f"{args.minutes:g} min of audio, one core")
        for chunk_s in (DEFAULT_CHUNK_S, 3600.0):
            plan = plan_day_chunks(
                int(audio_s * RATE), classifier.grid, RATE, chunk_s, margin_windows=neighbourhood_windows(classifier)
            )
            started, cpu_started = time.perf_counter(), time.process_time()
            day = score_day(
                plan,
                classifier,
                lambda c: archive.read_samples(DAY, c.read_start, c.read_stop),
                unavailable=(AudioUnavailable,),
                prefetch=False,  # one core: nothing to overlap with
            )
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            label = "default" if chunk_s == DEFAULT_CHUNK_S else "hourly"
            print(
                f"  chunk_s={chunk_s:g} ({label}): {seconds:.1f} s, {audio_s / seconds:.0f}x real time, "
                f"{day.scores.size} windows, {86_400 / (audio_s / seconds):.0f} s per day; "
                f"CPU {cpu:.1f} s, {audio_s / cpu:.0f}x real time (wall time counts waits on a shared core)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
