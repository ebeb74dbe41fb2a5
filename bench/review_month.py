"""A simulated month of analyst review: detections of the `energy` detector on MARS-like days with
REAL song (held-out recordings), verdicts from the world's known song times, and the platform's
detector-performance table and figure built from them.

Each day is `--minutes` of MARS-like audio (reddish drifting noise, the archive's DC offset and
level); two days in three carry a song session of real MBARI units (held-out recordings, not used
to tune the detector) at an in-band SNR drawn from 3-15 dB; every third day a ship passes, every
fifth blue whales call. Runs of windows whose median-filtered score reaches `--min-score` become
selections (as `raven_selections` makes them, but at a low threshold, the way reviewers sample
every score range); a selection is true when it overlaps a real song unit. The verdicts then go
through `core/review` exactly as reviewed tables do.

    .venv/bin/python bench/review_month.py --days 30 --minutes 10 --figure /tmp/review_month.png
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd


def cpu() -> str:
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")), "?")
    flags = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16") if f in text.split()]
    return f"{model} ({platform.machine()}); flags: {' '.join(flags) or 'none of avx2/avx512/amx'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10.0, help="audio per day")
    parser.add_argument("--min-score", type=float, default=0.1, help="selections down to this score are reviewed")
    parser.add_argument("--figure", type=Path, default=None, help="write the performance figure here")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)

    from whale_assets.core.audio.resample import resample_exact
    from whale_assets.core.reports.performance_figure import performance_png
    from whale_assets.core.reports.raven import detected_runs
    from whale_assets.core.review.table import ReviewedScores, performance_table
    from whale_assets.core.review.verdicts import Verdict
    from whale_assets.core.scoring.energy import EnergyClassifier
    from whale_assets.demo.mars_scene import MarsScene, render
    from whale_assets.demo.mars_song import SongSession
    from whale_assets.demo.mars_sources import BaleenCalls, ShipPassage
    from whale_assets.demo.real_song import HELD_OUT_RECORDINGS, load_real_units, song_intervals

    units = load_real_units(HELD_OUT_RECORDINGS)
    if units is None:
        print("real song units not found (../shared/data/mbari-song-units): nothing to simulate")
        return 2
    print(f"CPU: {cpu()}")
    classifier = EnergyClassifier()
    rng = np.random.default_rng(args.seed)
    duration = args.minutes * 60
    scores, verdicts, started = [], [], time.perf_counter()
    song_days = 0
    for index in range(args.days):
        sings = index % 3 != 2
        song_days += sings
        scene = MarsScene(
            duration,
            seed=args.seed + index,
            song=(SongSession(duration * 0.2, duration * 0.6, float(rng.uniform(3, 15))),) if sings else (),
            ships=(ShipPassage(duration * 0.5, duration * 0.5, 15.0),) if index % 3 == 0 else (),
            baleen=(BaleenCalls("blue", duration * 0.1, duration * 0.5, 12.0),) if index % 5 == 0 else (),
            song_recording=units,
        )
        audio = render(scene)
        track = classifier.score(resample_exact(np.asarray(audio, dtype=np.float32), 16_000, 10_000))
        origin = np.datetime64("2023-11-01") + np.timedelta64(index, "D")
        step_ns = round(classifier.grid.step_s * 1e9)
        times = origin + np.arange(track.size) * np.timedelta64(step_ns, "ns")
        runs = detected_runs(times, track, args.min_score, 5, classifier.grid.context_s)
        song = [(origin + np.timedelta64(round(u.start_s * 1e9), "ns"), origin + np.timedelta64(round(u.end_s * 1e9), "ns"))
                for u in song_intervals(scene)] if sings else []
        for run in runs:
            begin, end = np.datetime64(run.begin_utc), np.datetime64(run.end_utc)
            true = any(begin < stop and end > start for start, stop in song)
            scores.append(run.score)
            verdicts.append(Verdict.TRUE if true else Verdict.FALSE)
    elapsed = time.perf_counter() - started
    scores_array = np.asarray(scores)
    table = performance_table([ReviewedScores("energy", scores_array, verdicts, scores_array)])
    print(f"{args.days} days x {args.minutes:g} min ({song_days} with real song, held-out recordings); "
          f"{len(scores)} selections at score >= {args.min_score}, all reviewed; {elapsed:.0f} s")
    pd.set_option("display.width", 200)
    columns = ["kind", "score_low", "score_high", "reviewed", "n_true", "n_false", "precision", "precision_low",
               "precision_high", "detections", "target_precision"]
    print(table[columns].round(3).to_string(index=False))
    if args.figure:
        args.figure.write_bytes(performance_png(table, "energy"))
        print(f"figure -> {args.figure}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
