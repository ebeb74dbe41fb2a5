"""How well each sift rule keeps humpback song and drops the rest, on MARS-like audio; and its speed.

Each seed builds a 30-minute MARS-like window (`whale_assets.core.synthesis.mars_scene`): drifting reddish
ambient noise on the archive's DC offset, a ship passage (before or after the bout), a blue-whale
bout, sometimes fin-whale pulses and an earthquake, and a 4-minute song bout whose units are the
ground truth. For each in-band song SNR it prints, per rule, the share of song-unit time kept and
of all other time kept (targets at 10 dB: >= 95 % and <= 15 %) and the share the classifier would
score (regions padded by one 3.9124 s model context each side, merged); then the time kept on
windows without song (the same scene without the bout, and ambient noise alone: the asset reports
`no_signal` when nothing is kept). "Kept" is the total of the regions; for `max_relative` also the
first-to-last span, which is what the asset keeps today. Finally throughput on one core for an
hour of audio. The defaults were tuned on seeds 101-105; the default seeds 1-5 are held out.

    python bench/sift_fidelity.py [--seeds 1 2 3 4 5] [--snrs 6 10 15] [--window-s 1800] [--no-speed | --speed-only]

Rendering dominates the run time (~10 s per 30-minute window per core): the song is rendered
once at 10 dB and rescaled (the scene is linear in the song's amplitude).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # one core: must be set before numpy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from whale_assets.core.audio.sift import (  # noqa: E402
    DEFAULT_CHUNK_FRAMES,
    SiftMode,
    SiftParameters,
    band_frame_energy,
    bandpass_sos,
    kept_seconds,
    pad_regions,
    sift,
    sift_frames,
)
from whale_assets.core.synthesis.mars_scene import (  # noqa: E402
    BaleenCalls,
    Earthquake,
    MarsScene,
    ShipPassage,
    SongSession,
    render,
    song_units,
)

RATE = 16_000
CONTEXT_SAMPLES = round(3.9124 * RATE)  # one humpback model context
BOUT_S = 240.0
RENDERED_SNR_DB = 10.0


@dataclass(frozen=True)
class World:
    """One seed's window: everything but the song, the song alone at 10 dB, ambient noise alone."""

    background: np.ndarray
    song_at_10_db: np.ndarray
    ambient: np.ndarray
    units: list[tuple[int, int]]

    def with_song(self, snr_db: float) -> np.ndarray:
        gain = np.float32(10 ** ((snr_db - RENDERED_SNR_DB) / 20))
        return self.background + gain * self.song_at_10_db


def fidelity_scene(seed: int, window_s: float, song: bool = True) -> MarsScene:
    """The seed's scene; the random draws do not depend on `song`, so with and without agree."""
    rng = np.random.default_rng([seed, 7])
    bout_start = float(rng.uniform(60.0, window_s - BOUT_S - 60.0))
    # The ship passes before or after the bout, not over it: under a ship the song's SNR (defined
    # against the ambient noise) is not the stated one and no energy rule can keep all of it.
    ship_s = float(rng.uniform(600.0, 1200.0))
    before = bout_start - ship_s / 2
    after = bout_start + BOUT_S + ship_s / 2
    closest_s = before if rng.uniform() < before / (before + window_s - after) else after
    ship = ShipPassage(closest_s=closest_s, duration_s=ship_s, peak_db=float(rng.uniform(6.0, 20.0)))
    baleen = [BaleenCalls("blue", 0.0, window_s, snr_db=float(rng.uniform(5.0, 15.0)))]
    fin_start = float(rng.uniform(0.0, window_s / 2))
    if rng.uniform() < 0.5:
        baleen.append(BaleenCalls("fin", fin_start, window_s / 2, snr_db=float(rng.uniform(5.0, 15.0))))
    quake_at = float(rng.uniform(0.0, window_s - 10.0))
    quakes = (Earthquake(at_s=quake_at),) if rng.uniform() < 0.5 else ()
    return MarsScene(
        duration_s=window_s,
        seed=seed,
        song=(SongSession(bout_start, BOUT_S, RENDERED_SNR_DB),) if song else (),
        ships=(ship,),
        baleen=tuple(baleen),
        earthquakes=quakes,
    )


def build_world(seed: int, window_s: float) -> World:
    with_song = fidelity_scene(seed, window_s)
    background = render(fidelity_scene(seed, window_s, song=False))
    units = [(round(a * RATE), round(b * RATE)) for a, b in song_units(with_song)]
    return World(
        background=background,
        song_at_10_db=render(with_song) - background,
        ambient=render(MarsScene(duration_s=window_s, seed=seed)),
        units=units,
    )


def kept_shares(regions: list[tuple[int, int]], units: list[tuple[int, int]], n: int) -> tuple[float, float]:
    """(% of song-unit samples kept, % of all other samples kept)."""
    kept, song = np.zeros(n, bool), np.zeros(n, bool)
    for start, end in regions:
        kept[start:end] = True
    for start, end in units:
        song[start:end] = True
    return 100.0 * kept[song].mean(), 100.0 * kept[~song].mean()


SEED_RULE = SiftParameters(mode=SiftMode.MAX_RELATIVE, lowcut_hz=50.0, highcut_hz=1500.0)
"""The first sift exactly: energy / loudest frame's > 0.015 in 50-1500 Hz."""

RULES = {
    "noise_floor (defaults)": SiftParameters(),
    "max_relative (regions)": SEED_RULE,
    "max_relative (span)": SEED_RULE,
}


def kept_by_rule(rule: str, audio: np.ndarray) -> list[tuple[int, int]]:
    result = sift(audio, RATE, RULES[rule])
    if rule.endswith("(span)"):
        return [result.span] if result.span else []
    return result.regions


def padded_share(regions: list[tuple[int, int]], n: int) -> float:
    """% of the window the classifier scores: the regions padded by one model context each side."""
    return 100.0 * kept_seconds(pad_regions(regions, CONTEXT_SAMPLES, n), RATE) * RATE / n


def fidelity_table(worlds: list[World], snrs: list[float], window_s: float) -> None:
    print(f"{len(worlds)} seeds x {window_s / 60:.0f}-minute windows; mean (min-max) over seeds")
    print(f"{'rule':24s} {'SNR dB':>6s} {'song kept %':>20s} {'other kept %':>20s} {'scored % (padded)':>20s}")
    for rule in RULES:
        for snr in snrs:
            rows = []
            for w in worlds:
                kept = kept_by_rule(rule, w.with_song(snr))
                rows.append((*kept_shares(kept, w.units, w.background.size), padded_share(kept, w.background.size)))
            song, other, scored = np.array(rows).T
            print(
                f"{rule:24s} {snr:6.0f} {song.mean():8.1f} ({song.min():5.1f}-{song.max():5.1f}) "
                f"{other.mean():8.1f} ({other.min():5.1f}-{other.max():5.1f}) "
                f"{scored.mean():8.1f} ({scored.min():5.1f}-{scored.max():5.1f})"
            )
    print(f"\n{'rule':24s} {'no song: kept s (max)':>24s} {'ambient only: kept s (max)':>28s}")
    for rule in RULES:
        no_song = [sum(e - s for s, e in kept_by_rule(rule, w.background)) / RATE for w in worlds]
        ambient = [sum(e - s for s, e in kept_by_rule(rule, w.ambient)) / RATE for w in worlds]
        print(
            f"{rule:24s} {np.mean(no_song):14.1f} ({max(no_song):6.1f}) {np.mean(ambient):18.1f} ({max(ambient):6.1f})"
        )


def throughput(seed: int, repeats: int = 5) -> None:
    """x real time on one core for an hour of the scene with song: each rule, and the decision alone.

    Runs are interleaved and the best kept, so a busy machine penalises every rule alike.
    """
    audio = render(fidelity_scene(seed, 3600.0))
    energy = band_frame_energy(audio, bandpass_sos(100.0, 3000.0, RATE, 5), 512, DEFAULT_CHUNK_FRAMES * 512)
    runs = {
        "noise_floor (defaults)": lambda: sift(audio, RATE),
        "max_relative (first sift)": lambda: sift(audio, RATE, SEED_RULE),
        "noise_floor decision alone": lambda: sift_frames(energy, audio.size, RATE, SiftParameters()),
    }
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            t0 = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t0)
    print(f"\nthroughput, one hour of MARS-like audio, one core, best of {repeats} interleaved:")
    for name, seconds in best.items():
        print(f"  {name:28s} {seconds:6.3f} s  {3600.0 / seconds:9.0f}x real time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--snrs", type=float, nargs="+", default=[6.0, 10.0, 15.0])
    parser.add_argument("--window-s", type=float, default=1800.0)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true")
    args = parser.parse_args()
    print(f"defaults: {SiftParameters()}")
    if args.speed_only:
        throughput(args.seeds[0])
        return
    worlds = [build_world(seed, args.window_s) for seed in args.seeds]
    fidelity_table(worlds, args.snrs, args.window_s)
    if not args.no_speed:
        throughput(args.seeds[0])


if __name__ == "__main__":
    main()
