"""Full-day scoring with a real-size humpback model: the project's scorer against the old ways.

Side by side, in one run, on the same audio (red ocean noise with synthetic song, written as a
16 kHz 24-bit archive day file in a temp folder), each approach in its own process so its peak
RSS is its own (`wait4` rusage of the child):

- project: `daily_scores`' path (hourly chunks read by byte range, gaps skipped, resampled with a
  guard, `HumpbackModel.score` batching ~180 windows per call, next chunk read in the background);
- (a) one `score` call on the whole stretch (the old "one call per hour"), at two shorter
  durations, its memory extrapolated linearly to one hour (a real hour needs > 15 GB);
- (b) one batch-1 `score` call per window (the earlier per-day pipeline).

It also measures the machine's float32 peak for the model's arithmetic (a large matmul and a
3x3 convolution in TensorFlow, same thread settings) and compares it with the model's FLOPs per
window (ResNet-50 convolutions + head) x windows per second.

    .venv/bin/python bench/full_day_scoring.py                    # builds the model in a temp dir
    .venv/bin/python bench/full_day_scoring.py --model /tmp/realsize_humpback --minutes 10 --hour-minutes 60
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DAY = dt.date(2023, 9, 14)
RATE = 16_000


def _child(mode: str, model: str, archive: str, minutes: float, out: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from whale_assets.core.day_chunks import plan_day_chunks
    from whale_assets.core.day_scoring import score_day
    from whale_assets.core.resample import resample_exact
    from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable
    from whale_assets.sources.day_audio import read_samples
    from whale_assets.sources.humpback_model import load_humpback_model

    if mode == "peak":
        _peak(out)
        return
    n = int(minutes * 60 * RATE)
    archive_ = AudioArchive(archive)
    model = load_humpback_model(model)
    started = time.perf_counter()
    if mode == "project":
        plan = plan_day_chunks(n, model.grid, RATE, chunk_s=3600.0)
        scores = score_day(
            plan, model, lambda c: read_samples(archive_, DAY, c.read_start, c.read_stop), unavailable=(AudioUnavailable,)
        ).scores
    else:
        audio = resample_exact(read_samples(archive_, DAY, 0, n), RATE, model.grid.sample_rate)
        n_windows = model.grid.n_windows(audio.size)
        if mode == "one-call":
            scores = model._call(audio[np.newaxis], n_windows).ravel()
        elif mode == "batch-1":
            step, context = model.grid.step_samples, model.grid.context_samples
            scores = np.array(
                [model._call(audio[np.newaxis, i * step : i * step + context], 1)[0, 0] for i in range(n_windows)],
                np.float32,
            )
        else:
            raise ValueError(mode)
    seconds = time.perf_counter() - started
    np.save(out + ".npy", scores)
    Path(out).write_text(json.dumps({"seconds": seconds, "windows": int(scores.size), "audio_s": n / RATE}))


def _peak(out: str) -> None:
    from whale_assets.sources.humpback_model import configure_tf_threads

    configure_tf_threads()
    import tensorflow as tf

    results = {}
    a = tf.random.normal([2048, 2048])
    matmul = tf.function(lambda a: tf.matmul(a, a))
    conv_in, kernel = tf.random.normal([64, 32, 16, 256]), tf.random.normal([3, 3, 256, 256])
    conv = tf.function(lambda x: tf.nn.conv2d(x, kernel, 1, "SAME"))
    for name, fn, arg, flops in (
        ("matmul_2048", matmul, a, 2 * 2048**3),
        ("conv3x3_256", conv, conv_in, 2 * 64 * 32 * 16 * 9 * 256 * 256),
    ):
        fn(arg).numpy()
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            fn(arg).numpy()
            best = min(best, time.perf_counter() - t)
        results[name] = flops / best / 1e9
    Path(out).write_text(json.dumps(results))


def run_child(mode: str, model: Path, archive: Path, minutes: float, work: Path) -> dict:
    out = work / f"{mode}-{minutes:g}.json"
    command = [sys.executable, __file__, "--child", mode, "--model", str(model), "--archive", str(archive),
               "--minutes", str(minutes), "--out", str(out)]
    process = subprocess.Popen(command, cwd=HERE.parent)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{mode} ({minutes} min) failed with status {status}")
    result = json.loads(out.read_text())
    result["peak_rss_gb"] = usage.ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux
    scores = Path(str(out) + ".npy")
    if scores.exists():
        result["scores"] = np.load(scores)
    print(f"  {mode:9s} {minutes:5g} min: {result.get('seconds', 0):7.1f} s, peak RSS {result['peak_rss_gb']:.2f} GB", flush=True)
    return result


def write_archive(root: Path, minutes: float) -> None:
    """Ten minutes at a time, so this process never holds the day (its RSS is inherited by the
    children whose peak RSS is measured)."""
    from whale_assets.demo.archive_writer import archive_path, write_day_file
    from whale_assets.demo.synthetic_song import humpback_like_song, ocean_noise

    rng = np.random.default_rng(1)
    piece = 600

    def segments():
        for start in range(0, int(minutes * 60), piece):
            length = min(piece, int(minutes * 60) - start)
            audio = ocean_noise(length * RATE, RATE, rng)
            song = humpback_like_song(120, RATE, rng)[: max(0, audio.size - 60 * RATE)]
            audio[60 * RATE : 60 * RATE + song.size] += song
            yield float(start), audio

    write_day_file(archive_path(root, DAY), segments(), duration_s=minutes * 60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="real-size SavedModel (built in a temp dir if omitted)")
    parser.add_argument("--minutes", type=float, default=10.0, help="audio for the side-by-side speed comparison")
    parser.add_argument("--hour-minutes", type=float, default=60.0, help="audio for the project scorer's peak RSS run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--archive", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, str(args.model), args.archive, args.minutes, args.out)
        return 0

    with tempfile.TemporaryDirectory(prefix="whale-bench-") as tmp:
        work = Path(tmp)
        model = args.model
        if model is None:
            model = work / "realsize_humpback"
            subprocess.run([sys.executable, str(HERE / "realsize_humpback_model.py"), str(model)], check=True)
        info = json.loads((model / "realsize_info.json").read_text())
        archive = work / "archive"
        write_archive(archive, max(args.minutes, args.hour_minutes))
        print(f"model {model}: {info['parameters'] / 1e6:.2f} M parameters, {info['resnet_flops_per_window'] / 1e9:.2f} GFLOP/window")
        print(f"cores: {len(os.sched_getaffinity(0))}")

        peak = run_child("peak", model, archive, 0, work)
        m = args.minutes
        project = run_child("project", model, archive, m, work)
        batch1 = run_child("batch-1", model, archive, m, work)
        one_call = run_child("one-call", model, archive, m, work)
        one_call_half = run_child("one-call", model, archive, m / 2, work)
        hour = run_child("project", model, archive, args.hour_minutes, work)

    flops = info["resnet_flops_per_window"]
    machine = max(peak["matmul_2048"], peak["conv3x3_256"])

    def line(name, r):
        windows_s = r["windows"] / r["seconds"]
        achieved = windows_s * flops / 1e9
        return (
            f"| {name} | {r['audio_s'] / 60:g} | {r['seconds']:.1f} | {r['audio_s'] / r['seconds']:.1f}x | "
            f"{windows_s:.1f} | {achieved:.1f} ({100 * achieved / machine:.0f} %) | {r['peak_rss_gb']:.2f} |"
        )

    # One call's memory grows with its length: fit RSS = base + slope * minutes, extrapolate to 60.
    slope = (one_call["peak_rss_gb"] - one_call_half["peak_rss_gb"]) / (m - m / 2)
    one_call_hour_gb = one_call["peak_rss_gb"] + slope * (60 - m)
    agree_a = float(np.max(np.abs(project["scores"] - one_call["scores"])))
    agree_b = float(np.max(np.abs(project["scores"] - batch1["scores"])))
    print()
    print(f"machine float32 peak (TF, {len(os.sched_getaffinity(0))} threads): matmul 2048^3 {peak['matmul_2048']:.1f} GFLOP/s, "
          f"conv 3x3x256 {peak['conv3x3_256']:.1f} GFLOP/s")
    print()
    print("| approach | audio min | wall s | x real time | windows/s | model GFLOP/s (% of peak) | peak RSS GB |")
    print("|---|---|---|---|---|---|---|")
    print(line("project scorer (hourly chunks, ~180 windows/call)", project))
    print(line("project scorer, one full hourly chunk", hour))
    print(line("(a) one `score` call", one_call_half))
    print(line("(a) one `score` call", one_call))
    print(line("(b) batch-1 call per window", batch1))
    print()
    print(f"speed, project vs (b): {project['audio_s'] / project['seconds'] / (batch1['audio_s'] / batch1['seconds']):.2f}x faster")
    print(f"speed, project vs (a): {project['audio_s'] / project['seconds'] / (one_call['audio_s'] / one_call['seconds']):.2f}x")
    print(f"(a) peak RSS for one hour, extrapolated linearly from {m / 2:g} and {m:g} min: {one_call_hour_gb:.1f} GB")
    print(f"peak RSS, project (one full hour chunk) / (a) extrapolated hour: {hour['peak_rss_gb'] / one_call_hour_gb:.3f} "
          f"(1/{one_call_hour_gb / hour['peak_rss_gb']:.1f})")
    print(f"scores agree: max |project - (a)| = {agree_a:.2e}, max |project - (b)| = {agree_b:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
