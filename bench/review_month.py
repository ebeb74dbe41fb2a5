"""A simulated month of analyst review: detections of the `energy` detector on MARS-like days with
REAL song (held-out recordings), verdicts from the world's known song times, and the platform's
detector-performance table and figure built from them.

Each day is `--minutes` of MARS-like audio (reddish drifting noise, the archive's DC offset and
level); two days in three carry a song session of real MBARI units (held-out recordings, not used
to tune the detector) at an in-band SNR drawn from 3-15 dB; every third day a ship passes, every
fifth blue whales call. Every day also carries `--other-calls` calls of other animals in the
song band (killer-whale-like pulsed calls and sea-lion-like barks: harmonic sweeps of 0.3-1.5 s
at 100-1500 Hz, in bouts, at an in-band SNR drawn from 0-12 dB). The energy detector says it
cannot tell such sounds from song (core/scoring/energy.py, "What it cannot"), and real archive
days hold them, so they are where its false detections come from.

Runs of windows whose median-filtered score reaches `--min-score` become selections (as
`raven_selections` makes them, but at a low threshold, the way reviewers sample every score range);
a selection is true when it overlaps a real song unit, false otherwise (the world's known song
times: no one listens). Every day is reviewed in full, so the song units no selection overlaps are
the misses recall counts. The verdicts then go through `core/review` exactly as reviewed tables do.

    .venv/bin/python bench/review_month.py --days 30 --minutes 10 --min-score 0.05 --figure /tmp/review_month.png
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd

PHRASE_GAP = np.timedelta64(5, "s")


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
    parser.add_argument("--other-calls", type=int, default=12, help="calls of other animals in the song band, per day")
    args = parser.parse_args(argv)

    from whale_assets.core.audio.resample import resample_exact
    from whale_assets.core.reports.performance_figure import performance_png
    from whale_assets.core.reports.raven import detected_runs
    from whale_assets.core.review.table import ReviewedScores, performance_table
    from whale_assets.core.review.verdicts import Verdict
    from whale_assets.core.scoring.energy import EnergyClassifier
    from whale_assets.core.scoring.pooling import DetectionRule
    from whale_assets.core.synthesis.mars_scene import MarsScene, ambient_band_power, render
    from whale_assets.core.synthesis.mars_song import SongSession
    from whale_assets.core.synthesis.mars_sources import BaleenCalls, ShipPassage
    from whale_assets.demo.real_song import HELD_OUT_RECORDINGS, load_real_units, song_intervals

    units = load_real_units(HELD_OUT_RECORDINGS)
    if units is None:
        print("real song units not found (../shared/data/mbari-song-units): nothing to simulate")
        return 2
    print(f"CPU: {cpu()}")
    classifier = EnergyClassifier()
    rng = np.random.default_rng(args.seed)
    duration = args.minutes * 60
    scores, verdicts, whole_day, started = [], [], [], time.perf_counter()
    song_days, missed_units, other_calls = 0, 0, 0
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
        others = other_animal_calls(np.random.default_rng([args.seed, index]), args.other_calls, duration)
        for start, length, snr_db, wave in others:
            first = round(start * scene.sample_rate)
            target = ambient_band_power(scene, start + length / 2, 100.0, 1500.0) * 10 ** (snr_db / 10)
            audio[first : first + wave.size] += (wave * np.sqrt(target / np.mean(wave**2)))[: audio.size - first]
        other_calls += len(others)
        track = classifier.score(resample_exact(np.asarray(audio, dtype=np.float32), 16_000, 10_000))
        origin = np.datetime64("2023-11-01") + np.timedelta64(index, "D")
        step_ns = round(classifier.grid.step_s * 1e9)
        times = origin + np.arange(track.size) * np.timedelta64(step_ns, "ns")
        runs = detected_runs(times, track, DetectionRule(args.min_score, 5), classifier.grid.context_s)
        song = (
            [
                (
                    origin + np.timedelta64(round(u.start_s * 1e9), "ns"),
                    origin + np.timedelta64(round(u.end_s * 1e9), "ns"),
                )
                for u in song_intervals(scene)
            ]
            if sings
            else []
        )
        spans = [(np.datetime64(run.begin_utc), np.datetime64(run.end_utc)) for run in runs]
        for run, (begin, end) in zip(runs, spans, strict=True):
            true = any(begin < stop and end > start for start, stop in song)
            scores.append(run.score)
            verdicts.append(Verdict.TRUE if true else Verdict.FALSE)
            whole_day.append(True)
        # The analyst, listening to the whole day, draws a selection around each phrase of song no
        # detection holds (missed units less than PHRASE_GAP apart are one selection).
        missed = [(start, stop) for start, stop in song if not any(b < stop and e > start for b, e in spans)]
        missed_units += sum(1 for i, (start, _) in enumerate(missed) if i == 0 or start - missed[i - 1][1] > PHRASE_GAP)
    elapsed = time.perf_counter() - started
    scores_array = np.asarray(scores)
    table = performance_table(
        [
            ReviewedScores(
                "energy",
                scores_array,
                verdicts,
                scores_array,
                whole_day=np.asarray(whole_day),
                whole_days=args.days,
                added_song=missed_units,
            )
        ]
    )
    print(
        f"{args.days} days x {args.minutes:g} min ({song_days} with real song, held-out recordings; "
        f"{other_calls} calls of other animals in the song band); {len(scores)} selections at score >= "
        f"{args.min_score}, all reviewed ({sum(v is Verdict.TRUE for v in verdicts)} song), every day in full "
        f"({missed_units} phrases of song no selection holds, drawn as added selections); {elapsed:.0f} s"
    )
    pd.set_option("display.width", 200)
    columns = [
        "kind",
        "score_low",
        "score_high",
        "reviewed",
        "n_true",
        "n_false",
        "precision",
        "precision_low",
        "precision_high",
        "detections",
        "target_precision",
        "n_song",
        "n_missed",
        "recall",
    ]
    print(table[columns].round(3).to_string(index=False))
    for _, fit in table[table["kind"] == "fit"].iterrows():  # the table's 3 decimals would show 1.000
        print(
            f"fitted threshold for precision {fit['target_precision']:.2f}: {fit['score_low']:.7f} "
            f"(keeps {fit['detections']} of {len(scores)} detections, recall {fit['recall']:.3f})"
        )
    if args.figure:
        args.figure.write_bytes(performance_png(table, "energy"))
        print(f"figure -> {args.figure}")
    return 0


def other_animal_calls(
    rng: np.random.Generator, count: int, duration_s: float, sample_rate: int = 16_000
) -> list[tuple[float, float, float, np.ndarray]]:
    """(start_s, length_s, snr_db, unit-less waveform) of `count` calls of other animals in the song
    band: bouts of 1-4 harmonic sweeps (a killer whale's pulsed call, a sea lion's bark)."""
    calls: list[tuple[float, float, float, np.ndarray]] = []
    while len(calls) < count:
        at, snr_db = float(rng.uniform(5, duration_s - 30)), float(rng.uniform(-9, 6))
        for _ in range(min(int(rng.integers(1, 5)), count - len(calls))):
            length = float(rng.uniform(0.3, 1.5))
            t = np.arange(round(length * sample_rate)) / sample_rate
            low, high = rng.uniform(150, 600), rng.uniform(600, 1400)
            up = rng.random() < 0.5
            f0 = np.linspace(low, high, t.size) if up else np.linspace(high, low, t.size)
            phase = 2 * np.pi * np.cumsum(f0) / sample_rate
            wave = sum(np.sin(k * phase) / k for k in (1, 2, 3) if k * high < 1500) * np.hanning(t.size)
            calls.append((at, length, snr_db, wave))
            at += length + float(rng.uniform(0.5, 4.0))
    return calls


if __name__ == "__main__":
    raise SystemExit(main())
