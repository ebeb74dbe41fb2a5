"""Full-day scoring with a real-size humpback model: the project's scorer against the old ways.

Side by side, in one run, on the same hour of audio (red ocean noise with synthetic song, written
as a 16 kHz 24-bit archive day file in a temp folder), each approach in its own process so its
peak RSS is its own (`wait4` rusage of the child):

- project: `daily_scores`' path with its defaults (ten-minute chunks read by byte range, gaps
  skipped, resampled with a guard, `HumpbackModel.score` batching 32 windows per call, next chunk
  read in the background);
- (a) one `score` call on the whole hour (the old "one call per hour");
- (b) one batch-1 `score` call per window (the earlier per-day pipeline).

Each child also reports its RSS once TensorFlow and the model are loaded, so the memory a
scoring approach adds on top of the loaded model is shown apart from TensorFlow's own.
It also measures the machine's float32 peak for the model's arithmetic (a large matmul and a
3x3 convolution in TensorFlow, same thread settings) and compares it with the model's FLOPs per
window (ResNet-50 convolutions + head) x windows per second. `--day-minutes 1440` adds the
project path over a whole day, for its whole-day peak RSS (~20 min).

    .venv/bin/python bench/full_day_scoring.py                    # builds the model in a temp dir
    .venv/bin/python bench/full_day_scoring.py --model /tmp/realsize_humpback --day-minutes 1440
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from whale_assets.core.utc import Day

HERE = Path(__file__).resolve().parent
DAY = Day(2023, 9, 14)
RATE = 16_000


def _child(mode: str, model: str, archive: str, minutes: float, out: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from whale_assets.core.audio.resample import resample_exact
    from whale_assets.core.scoring.day_chunks import plan_day_chunks
    from whale_assets.core.scoring.day_scoring import score_day
    from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable
    from whale_assets.sources.humpback_model import load_humpback_model

    if mode == "peak":
        _peak(out)
        return
    n = int(minutes * 60 * RATE)
    archive_ = AudioArchive(archive)
    model = load_humpback_model(model)
    loaded_gb = _rss_gb()
    started = time.perf_counter()
    if mode == "project":
        plan = plan_day_chunks(n, model.grid, RATE)  # daily_scores' default chunk length
        scores = score_day(
            plan,
            model,
            lambda c: archive_.read_samples(DAY, c.read_start, c.read_stop),
            unavailable=(AudioUnavailable,),
        ).scores
    else:
        audio = resample_exact(archive_.read_samples(DAY, 0, n), RATE, model.grid.sample_rate)
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
    Path(out).write_text(
        json.dumps({"seconds": seconds, "windows": int(scores.size), "audio_s": n / RATE, "loaded_rss_gb": loaded_gb})
    )


def _rss_gb() -> float:
    """This process's resident memory now (GB), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024**2
    raise RuntimeError("no VmRSS in /proc/self/status")


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
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--model",
        str(model),
        "--archive",
        str(archive),
        "--minutes",
        str(minutes),
        "--out",
        str(out),
    ]
    process = subprocess.Popen(command, cwd=HERE.parent)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{mode} ({minutes} min) failed with status {status}")
    result = json.loads(out.read_text())
    result["peak_rss_gb"] = usage.ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux
    scores = Path(str(out) + ".npy")
    if scores.exists():
        result["scores"] = np.load(scores)
    print(
        f"  {mode:9s} {minutes:5g} min: {result.get('seconds', 0):7.1f} s, peak RSS {result['peak_rss_gb']:.2f} GB",
        flush=True,
    )
    return result


def write_archive(root: Path, minutes: float) -> None:
    """MARS-like audio (DC offset, real levels, a 2-minute song bout every ten minutes at 10 dB),
    rendered ten minutes at a time, so this process never holds the day (its RSS is inherited by
    the children whose peak RSS is measured)."""
    from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render_pieces
    from whale_assets.demo.archive_writer import archive_path, stream_segment, write_day_file

    duration_s = minutes * 60
    bouts = tuple(SongSession(start + 60.0, 120.0, 10.0) for start in range(0, int(duration_s) - 180, 600))
    scene = MarsScene(duration_s, seed=1, song=bouts)
    write_day_file(archive_path(root, DAY), stream_segment(0.0, render_pieces(scene)), duration_s=duration_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="real-size SavedModel (built in a temp dir if omitted)")
    parser.add_argument("--minutes", type=float, default=60.0, help="audio scored by all three approaches (one hour)")
    parser.add_argument(
        "--day-minutes", type=float, default=0.0, help="also run the project path over this much (1440: a day)"
    )
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
        write_archive(archive, max(args.minutes, args.day_minutes))
        print(
            f"model {model}: {info['parameters'] / 1e6:.2f} M parameters, {info['resnet_flops_per_window'] / 1e9:.2f} GFLOP/window"
        )
        print(f"cores: {len(os.sched_getaffinity(0))}")

        peak = run_child("peak", model, archive, 0, work)
        m = args.minutes
        project = run_child("project", model, archive, m, work)
        one_call = run_child("one-call", model, archive, m, work)
        batch1 = run_child("batch-1", model, archive, m, work)
        day = run_child("project", model, archive, args.day_minutes, work) if args.day_minutes else None
    report(info, peak, project, one_call, batch1, day)
    return 0


def report(info: dict, peak: dict, project: dict, one_call: dict, batch1: dict, day: dict | None) -> None:
    flops = info["resnet_flops_per_window"]
    machine = max(peak["matmul_2048"], peak["conv3x3_256"])

    def speed(r: dict) -> float:
        return r["audio_s"] / r["seconds"]

    def working(r: dict) -> float:
        return r["peak_rss_gb"] - r["loaded_rss_gb"]

    def line(name: str, r: dict) -> str:
        windows_s = r["windows"] / r["seconds"]
        achieved = windows_s * flops / 1e9
        return (
            f"| {name} | {r['audio_s'] / 60:g} | {r['seconds']:.1f} | {speed(r):.1f}x | {windows_s:.1f} | "
            f"{achieved:.1f} ({100 * achieved / machine:.0f} %) | {r['peak_rss_gb']:.2f} | {working(r):.2f} |"
        )

    ceiling = machine * 1e9 / flops * project["audio_s"] / project["windows"]  # x real time at the machine's peak
    print()
    print(
        f"machine float32 peak (TF, {len(os.sched_getaffinity(0))} threads): matmul 2048^3 {peak['matmul_2048']:.1f} GFLOP/s, "
        f"conv 3x3x256 {peak['conv3x3_256']:.1f} GFLOP/s -> at most {ceiling:.0f}x real time for this model"
    )
    print()
    print(
        "| approach | audio min | wall s | x real time | windows/s | model GFLOP/s (% of peak) | peak RSS GB | added to loaded model GB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print(line("project scorer (10-min chunks, 32 windows/call)", project))
    print(line("(a) one `score` call on the whole stretch", one_call))
    print(line("(b) batch-1 call per window", batch1))
    if day is not None:
        print(line("project scorer, longer run", day))
    print()
    print(
        f"speed, project vs (b): {speed(project) / speed(batch1):.2f}x faster "
        f"(the machine's peak would be {ceiling / speed(batch1):.2f}x (b))"
    )
    print(f"speed, project vs (a): {speed(project) / speed(one_call):.2f}x faster")
    print(
        f"peak RSS, project / (a): {project['peak_rss_gb'] / one_call['peak_rss_gb']:.3f} "
        f"(1/{one_call['peak_rss_gb'] / project['peak_rss_gb']:.1f}); TensorFlow + model loaded: "
        f"{project['loaded_rss_gb']:.2f} GB = 1/{one_call['peak_rss_gb'] / project['loaded_rss_gb']:.1f} of (a) on its own"
    )
    print(f"memory added to the loaded model, project / (a): 1/{working(one_call) / max(working(project), 1e-9):.1f}")
    agree_a = float(np.max(np.abs(project["scores"] - one_call["scores"])))
    agree_b = float(np.max(np.abs(project["scores"] - batch1["scores"])))
    print(f"scores agree: max |project - (a)| = {agree_a:.2e}, max |project - (b)| = {agree_b:.2e}")


if __name__ == "__main__":
    sys.exit(main())
