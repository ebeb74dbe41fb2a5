"""Sift throughput on one core: `whale_assets.core.audio.sift.sift` vs a straightforward float64 baseline.

The baseline is what one writes first: `scipy.signal.butter` as (b, a) polynomials, `lfilter`
over the whole input in float64, frame energies, normalise, threshold, merge. Both run on the
same float32 input (what the 24-bit PCM decoder yields): an hour of 16 kHz red noise carrying
tone and sweep bursts at levels around the sift threshold. Prints x real time for each, the
speed-up, and whether both keep the same frames and regions.

    python bench/sift_speed.py [--minutes 60] [--repeats 5]

It also prints the energy classifier's throughput on the same audio resampled to 10 kHz
(its target is >= 500x real time for a whole day on one core).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"  # one core: must be set before numpy is imported

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from whale_assets.core.audio.resample import resample_exact  # noqa: E402
from whale_assets.core.audio.sift import sift  # noqa: E402
from whale_assets.core.scoring.energy import EnergyClassifier  # noqa: E402

RATE = 16_000
LOWCUT, HIGHCUT, ORDER, THRESHOLD, FRAME = 50.0, 1500.0, 5, 0.015, 512


def test_audio(minutes: float, seed: int = 0) -> np.ndarray:
    """Red noise with 40 bursts (tones and upsweeps, 1-20 s) from -25 to 0 dB re the loudest."""
    rng = np.random.default_rng(seed)
    n = int(minutes * 60 * RATE)
    white = rng.standard_normal(n, dtype=np.float32)
    audio = (signal.lfilter([1.0], [1.0, -0.95], white) * 1e-4 + white * 3e-5).astype(np.float32)
    for _ in range(40):
        length = int(rng.uniform(1.0, 20.0) * RATE)
        start = int(rng.integers(0, n - length))
        t = np.arange(length) / RATE
        f0 = rng.uniform(80.0, 1400.0)
        sweep = f0 + rng.uniform(0.0, 20.0) * t * rng.integers(0, 2)
        amplitude = 0.01 * 10 ** (rng.uniform(-25.0, 0.0) / 20)
        audio[start : start + length] += (amplitude * np.sin(2 * np.pi * np.cumsum(sweep) / RATE)).astype(np.float32)
    return audio


def baseline_sift(audio: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:
    """float64 (b, a) Butterworth + lfilter + frame energy: the regions and the kept-frame mask."""
    b, a = signal.butter(ORDER, [LOWCUT, HIGHCUT], btype="bandpass", fs=RATE)
    filtered = signal.lfilter(b, a, np.asarray(audio, dtype=np.float64))
    padded = np.concatenate([filtered, np.zeros(-filtered.size % FRAME)])
    energy = (padded.reshape(-1, FRAME) ** 2).sum(axis=1)
    kept = energy / energy.max() > THRESHOLD
    regions, start = [], None
    for i, keep in enumerate(kept):  # per frame, not per sample: ~112 000 iterations an hour
        if keep and start is None:
            start = i
        if not keep and start is not None:
            regions.append((start * FRAME, i * FRAME))
            start = None
    if start is not None:
        regions.append((start * FRAME, audio.size))
    return regions, kept


def best_times(fns: list, repeats: int) -> tuple[list[float], list]:
    """Best wall time of each function, run interleaved so a busy machine penalises all alike."""
    best, results = [float("inf")] * len(fns), [None] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            results[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best, results


def peak_mib(fn) -> float:
    """Peak memory allocated while `fn` runs (numpy reports its buffers to tracemalloc), untimed."""
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    audio = test_audio(args.minutes)
    seconds = audio.size / RATE
    print(
        f"input: {seconds:.0f} s of 16 kHz float32 ({audio.nbytes / 2**20:.0f} MiB), one core, best of {args.repeats}"
    )

    run_base = lambda: baseline_sift(audio)  # noqa: E731
    run_ours = lambda: sift(  # noqa: E731
        audio, RATE, mode="max_relative", lowcut_hz=LOWCUT, highcut_hz=HIGHCUT, order=ORDER, threshold=THRESHOLD
    )
    (t_base, t_ours), ((base_regions, base_kept), ours) = best_times([run_base, run_ours], args.repeats)
    ours_kept = ours.frame_energy > THRESHOLD
    print(f"baseline (float64 ba + lfilter): {t_base:7.3f} s  {seconds / t_base:8.0f}x real time")
    print(f"sift (chunked sos, float32):     {t_ours:7.3f} s  {seconds / t_ours:8.0f}x real time")
    print(f"speed-up: {t_base / t_ours:.2f}x")
    print(f"peak extra memory: baseline {peak_mib(run_base):.0f} MiB, sift {peak_mib(run_ours):.0f} MiB")
    differing = int(np.count_nonzero(ours_kept != base_kept))
    print(
        f"agreement: regions {'identical' if ours.regions == base_regions else 'DIFFER'} "
        f"({len(ours.regions)} vs {len(base_regions)}), kept frames {int(ours_kept.sum())} vs {int(base_kept.sum())}, "
        f"{differing} of {ours_kept.size} frames differ"
    )

    waveform = resample_exact(audio, RATE, 10_000)
    classifier = EnergyClassifier()
    (t_clf,), (scores,) = best_times([lambda: classifier.score(waveform)], args.repeats)
    print(f"energy classifier at 10 kHz:     {t_clf:7.3f} s  {seconds / t_clf:8.0f}x real time ({scores.size} windows)")


if __name__ == "__main__":
    main()
