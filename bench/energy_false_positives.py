"""Hours the `energy` classifier marks present on realistic days, with and without humpback song.

Each day is a 24-hour MARS-like scene drawn from a seed (ship passages up to 30 dB and 90 minutes
long, blue and fin whale bouts, earthquakes), recorded sparsely (minutes 20-23 of every hour,
digital silence between, as in the day-presence tests), scored chunk by chunk with `score_day`
and summarised by `hourly_presence`. Without song, every present hour is a false one (target 0 of
24). With a two-hour session and two short bouts at an in-band SNR of 6, 10 or 15 dB, hours found
are compared with the hours whose recorded minutes hold song.

    .venv/bin/python bench/energy_false_positives.py [--seeds 5] [--snrs 6 10 15]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from whale_assets.core.scoring.energy import EnergyClassifier
from whale_assets.core.synthesis.mars_scene import SongSession
from whale_assets.demo.sparse_day import at, busy_day, present_hours, score_sparse_day


def song_for(seed: int, snr_db: float) -> tuple[SongSession, ...]:
    """A two-hour session and two bouts of 3-4 minutes, in four different hours drawn from `seed`."""
    rng = np.random.default_rng([seed, 11])
    session_hour = int(rng.integers(23))
    bout_hours = [
        int(h)
        for h in rng.choice([h for h in range(24) if h not in (session_hour, session_hour + 1)], 2, replace=False)
    ]
    bouts = tuple(SongSession(at(h, 1200.0 + rng.uniform(0, 60)), rng.uniform(180, 240), snr_db) for h in bout_hours)
    return (SongSession(at(session_hour, 0.0), 7200.0, snr_db), *bouts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--snrs", type=float, nargs="+", default=[6.0, 10.0, 15.0])
    args = parser.parse_args()
    classifier = EnergyClassifier()
    print("$", " ".join(["python", *sys.argv]))
    print(f"{'seed':>4} {'song':>7} {'expected':>16} {'found':>16} {'hits':>4} {'misses':>6} {'false':>5} {'time':>6}")
    totals: dict[str, list[int]] = {}
    for seed in range(args.seeds):
        for snr_db in (None, *args.snrs):
            day = busy_day(seed, () if snr_db is None else song_for(seed, snr_db))
            started = time.perf_counter()
            found = present_hours(score_sparse_day(day, classifier))
            expected = day.song_hours()
            hits, misses = len(set(found) & set(expected)), len(set(expected) - set(found))
            false = len(set(found) - set(expected))
            label = "none" if snr_db is None else f"{snr_db:g} dB"
            total = totals.setdefault(label, [0, 0, 0, 0])
            for i, value in enumerate((len(expected), hits, misses, false)):
                total[i] += value
            print(
                f"{seed:>4} {label:>7} {str(expected):>16} {str(found):>16} {hits:>4} {misses:>6} {false:>5}"
                f" {time.perf_counter() - started:>5.0f}s",
                flush=True,
            )
    print("\ntotals over", args.seeds, "days: song | expected hours | hits | misses | false hours (of 24 per day)")
    for label, (expected, hits, misses, false) in totals.items():
        print(f"{label:>7} | {expected:>3} | {hits:>3} | {misses:>3} | {false:>3}")


if __name__ == "__main__":
    main()
