"""The `energy` detector on real humpback song (MBARI units at MARS), cross-validated by recording.

For each recording split (tuning: the detector's parameters were chosen on these; held-out: only
reported) and each in-band SNR, side by side with synthetic units at the same SNR:

- **windows**: a MARS-like scene with five minutes of noise, then the split's recordings replayed
  at their recorded offsets (every unit once, chained, 5-60 s between recordings): the mean score
  of windows overlapping a unit (`pooled`), the share of them >= 0.5, per unit type the share of
  and how many of the noise-only windows score >= 0.5;
- **unit types**: every unit of the split alone, 6-8 s from the next (real song is denser, so
  this is harder than song): per unit type the share of units whose best window (a window centred
  within the unit, +-0.5 s) scores >= 0.5;
- **hours**: busy days of `bench/energy_false_positives.py` (ships, blue and fin whales,
  earthquakes; minutes 20-23 of every hour recorded) with a 5-minute bout of real song over the
  recorded minutes of 8 ship-free hours: song hours (>= 2 min of singing recorded) found by
  `hourly_presence`, and falsely present hours (no song recorded).

    .venv/bin/python bench/real_song_detection.py [--snrs 3 6 10 15] [--hour-snrs 6 10] [--days 3]
        [--splits tuning held-out] [--no-hours] [--no-types]

Needs `../shared/data/mbari-song-units/` (or WHALE_REAL_SONG_UNITS); exits with a reason without it.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import time
from collections import defaultdict

import numpy as np

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.scoring.energy import EnergyClassifier
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render
from whale_assets.demo.real_song import (
    HELD_OUT_RECORDINGS,
    TUNING_RECORDINGS,
    isolated_units,
    load_real_units,
    song_intervals,
    units_dir,
)
from whale_assets.demo.sparse_day import at, busy_day, present_hours, score_sparse_day

SPLITS = {"tuning": TUNING_RECORDINGS, "held-out": HELD_OUT_RECORDINGS}
NOISE_S = 300.0
SONG_HOURS_PER_DAY = 8
MIN_SONG_S = 120.0


def cpu_description() -> str:
    model, flags = platform.processor() or "unknown CPU", []
    try:
        text = open("/proc/cpuinfo").read()
        model = re.search(r"model name\s*:\s*(.+)", text).group(1)  # type: ignore[union-attr]
        flags = sorted(
            {f for f in re.search(r"flags\s*:\s*(.+)", text).group(1).split() if f.startswith(("avx", "amx", "fma"))}
        )  # type: ignore[union-attr]
    except (OSError, AttributeError):
        pass
    return f"{model}; flags: {' '.join(flags) or 'none found'}"


def window_figures(classifier: EnergyClassifier, recording, snr_db: float, seed: int) -> dict:
    """Pooled score and recall on one replay of every unit of `recording` (None: synthetic units)."""
    song_s = sum(b.span_s + 60.0 for b in recording.bouts) if recording is not None else 1800.0
    scene = MarsScene(
        NOISE_S + song_s, seed=seed, song=(SongSession(NOISE_S, song_s, snr_db),), song_recording=recording
    )
    scores = classifier.score(resample_exact(render(scene), scene.sample_rate, classifier.grid.sample_rate))
    starts = classifier.grid.window_offsets_s(scores.size)
    ends = starts + classifier.grid.context_s
    units = song_intervals(scene)
    overlapping = np.zeros(scores.size, bool)
    for unit in units:
        overlapping |= (starts < unit.end_s) & (unit.start_s < ends)
    noise_only = ends <= NOISE_S - 1.0
    return {
        "pooled": float(scores[overlapping].mean()),
        "above": float((scores[overlapping] >= 0.5).mean()),
        "noise_detections": int((scores[noise_only] >= 0.5).sum()),
        "noise_windows": int(noise_only.sum()),
        "noise_max": float(scores[noise_only].max()),
    }


def unit_recall(classifier: EnergyClassifier, recording, snr_db: float, seed: int) -> dict[str, list[bool]]:
    """Per unit type: whether each unit, alone, has a window centred within it (+-0.5 s) scoring >= 0.5."""
    alone = isolated_units(recording)
    song_s = sum(b.span_s + 8.0 for b in alone.bouts)
    scene = MarsScene(song_s + 30.0, seed=seed, song=(SongSession(10.0, song_s, snr_db),), song_recording=alone)
    scores = classifier.score(resample_exact(render(scene), scene.sample_rate, classifier.grid.sample_rate))
    centres = classifier.grid.window_offsets_s(scores.size) + classifier.grid.context_s / 2
    per_type: dict[str, list[bool]] = defaultdict(list)
    for unit in song_intervals(scene):
        near = (centres >= unit.start_s - 0.5) & (centres <= unit.end_s + 0.5)
        per_type[unit.unit_type].append(bool(near.any() and scores[near].max() >= 0.5))
    return per_type


def hour_figures(classifier: EnergyClassifier, recording, snr_db: float, seed: int) -> tuple[int, int, int, int]:
    """(song hours, found, falsely present hours, hours without song) on one busy day."""
    day = busy_day(seed)
    rng = np.random.default_rng([seed, 19])
    free = [h for h in range(24) if h not in day.ship_hours()]
    hours = sorted(int(h) for h in rng.choice(free, min(SONG_HOURS_PER_DAY, len(free)), replace=False))
    song = tuple(SongSession(at(h, day.recorded_s[0] - 60.0), 300.0, snr_db) for h in hours)
    day = busy_day(seed, song, song_recording=recording)
    found = set(present_hours(score_sparse_day(day, classifier)))
    song_hours = {h for h in range(24) if day.song_seconds(h) >= MIN_SONG_S}
    silent = {h for h in range(24) if day.song_seconds(h) == 0.0}
    return len(song_hours), len(song_hours & found), len(silent & found), len(silent)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snrs", type=float, nargs="+", default=[3.0, 6.0, 10.0, 15.0])
    parser.add_argument("--days", type=int, default=3, help="busy days per split and SNR (8 song hours each)")
    parser.add_argument("--hour-snrs", type=float, nargs="+", default=[6.0, 10.0], help="SNRs of the busy days")
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    parser.add_argument("--no-hours", action="store_true", help="skip the busy days (the slow part)")
    parser.add_argument("--no-types", action="store_true", help="skip the units-alone recall per unit type")
    parser.add_argument("--no-windows", action="store_true", help="skip the window figures (and unit types)")
    args = parser.parse_args()
    if units_dir() is None:
        print("no real song units: ../shared/data/mbari-song-units/ is absent (set WHALE_REAL_SONG_UNITS)")
        return 1
    print("$", " ".join(["python", *sys.argv]))
    print("CPU:", cpu_description())
    classifier = EnergyClassifier()
    type_rows: dict[str, dict[str, list[bool]]] = {}
    if not args.no_windows:
        print(
            f"\n{'split':<9} {'units':<9} {'SNR':>4} | {'pooled':>6} {'>=0.5':>6} | {'noise det/windows':>17} {'max':>5} | {'time':>5}"
        )
    for split in args.splits if not args.no_windows else ():
        real = load_real_units(SPLITS[split])
        for snr_db in args.snrs:
            for kind, recording in (("real", real), ("synthetic", None)):
                started = time.perf_counter()
                w = window_figures(classifier, recording, snr_db, seed=int(snr_db * 10))
                if kind == "real" and not args.no_types:
                    type_rows[f"{split} {snr_db:g} dB"] = unit_recall(
                        classifier, recording, snr_db, seed=int(snr_db * 10) + 1
                    )
                print(
                    f"{split:<9} {kind:<9} {snr_db:>4g} | {w['pooled']:>6.2f} {w['above']:>6.0%} | "
                    f"{w['noise_detections']:>7}/{w['noise_windows']:<9} {w['noise_max']:>5.2f} | "
                    f"{time.perf_counter() - started:>4.0f}s",
                    flush=True,
                )
    if type_rows:
        print_unit_types(type_rows)
    if not args.no_hours:
        print_hours(classifier, args)
    return 0


def print_unit_types(type_rows: dict[str, dict[str, list[bool]]]) -> None:
    print("\nper unit type, each unit alone: units whose best window scores >= 0.5 (recall)")
    types = sorted(
        {t for rows in type_rows.values() for t in rows},
        key=lambda t: -sum(len(r.get(t, [])) for r in type_rows.values()),
    )
    print(f"{'':<20}" + "".join(f"{label:>18}" for label in type_rows))
    for unit_type in types:
        cells = [rows.get(unit_type, []) for rows in type_rows.values()]
        print(f"{unit_type:<20}" + "".join(f"{np.mean(c):>11.0%} of {len(c):>3}" if c else f"{'-':>18}" for c in cells))


def print_hours(classifier: EnergyClassifier, args: argparse.Namespace) -> None:
    """Hourly presence on busy days; days outermost, so each day's song-free hours render once."""
    totals: dict[tuple[str, str, float], np.ndarray] = {}
    started = time.perf_counter()
    for seed in range(args.days):
        for split in args.splits:
            for snr_db in args.hour_snrs:
                for kind, recording in (("real", load_real_units(SPLITS[split])), ("synthetic", None)):
                    key = (split, kind, snr_db)
                    figures = hour_figures(classifier, recording, snr_db, seed)
                    totals[key] = totals.get(key, np.zeros(4, int)) + figures
                    print(
                        f"  day {seed} {split} {kind} {snr_db:g} dB: song hours, found, false, without song = {figures}",
                        flush=True,
                    )
    print(f"\nbusy days ({args.days} per row, seeds 0-{args.days - 1}; {SONG_HOURS_PER_DAY} ship-free hours with a 5-min bout each), "
          f"{time.perf_counter() - started:.0f}s")  # fmt: skip
    print(
        f"{'split':<9} {'units':<9} {'SNR':>4} | {'song hours (>= 2 min) present':>30} | {'falsely present / hours without song':>37}"
    )
    for (split, kind, snr_db), (song, found, false, silent) in totals.items():
        print(
            f"{split:<9} {kind:<9} {snr_db:>4g} | {found:>10}/{song:<4} {found / max(song, 1):>14.1%} | {false:>18}/{silent:<18}"
        )


if __name__ == "__main__":
    sys.exit(main())
