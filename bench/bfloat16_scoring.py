"""Full-day scoring in float32 and bfloat16 (WHALE_MODEL_PRECISION), side by side on the real-size model.

Each precision runs `daily_scores`' own path (`score_day` with its default ten-minute chunks)
over the same hour of MARS-like audio (`MarsScene`: DC offset, real levels, a two-minute song bout
at 10 dB every ten minutes), each in its own process so its peak RSS is its own. Reported:

- x real time and peak RSS per precision, and the speed-up;
- agreement over the whole hour: max and 99.9th percentile of |score difference|, whether the
  median-filtered threshold crossings (`core.scoring.pooling`) and `hourly_presence` are identical;
- the machine's float32 and bfloat16 peaks (2048^3 matmul, 3x3x256 convolution in TensorFlow), the
  CPU's bfloat16/VNNI flags, and where the time goes per oneDNN primitive kind for one 32-window
  call in each precision (`ONEDNN_VERBOSE=profile_exec`; the rest of the call is TensorFlow's own
  ops: casts, STFT, PCEN).

    .venv/bin/python bench/bfloat16_scoring.py --model /tmp/realsize   # bench/realsize_humpback_model.py builds it
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from full_day_scoring import DAY, RATE, _rss_gb, write_archive  # noqa: E402

PRECISIONS = ("float32", "bfloat16")


def _child(mode: str, precision: str, model_dir: str, archive: str, minutes: float, out: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if mode == "peak":
        _peak(out)
    elif mode == "score":
        _score(precision, model_dir, archive, minutes, out)
    elif mode == "profile":
        _profile(precision, model_dir, out)
    else:
        raise ValueError(mode)


def _score(precision: str, model_dir: str, archive: str, minutes: float, out: str) -> None:
    from whale_assets.core.scoring.day_chunks import plan_day_chunks
    from whale_assets.core.scoring.day_scoring import score_day
    from whale_assets.sources.audio_archive import AudioArchive
    from whale_assets.sources.humpback_model import load_humpback_model

    archive_ = AudioArchive(archive)
    model = load_humpback_model(model_dir, precision=precision)
    loaded_gb = _rss_gb()
    n = int(minutes * 60 * RATE)
    plan = plan_day_chunks(n, model.grid, RATE)
    started, cpu_started = time.perf_counter(), time.process_time()
    scores = score_day(plan, model, lambda c: archive_.read_samples(DAY, c.read_start, c.read_stop)).scores
    seconds, scoring_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    np.save(out + ".npy", scores)
    day_start = np.datetime64(DAY.isoformat(), "ns")
    np.save(out + ".times.npy", plan.window_times(day_start))
    Path(out).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "scoring_cpu_s": scoring_cpu_s,
                "windows": int(scores.size),
                "audio_s": n / RATE,
                "loaded_rss_gb": loaded_gb,
            }
        )
    )


def _peak(out: str) -> None:
    from whale_assets.sources.humpback_model import configure_tf_threads

    configure_tf_threads()
    import tensorflow as tf

    results = {}
    for dtype in (tf.float32, tf.bfloat16):
        a = tf.cast(tf.random.normal([2048, 2048]), dtype)
        x = tf.cast(tf.random.normal([64, 32, 16, 256]), dtype)
        kernel = tf.cast(tf.random.normal([3, 3, 256, 256]), dtype)
        matmul = tf.function(lambda a: tf.matmul(a, a))
        conv = tf.function(lambda x, kernel=kernel: tf.nn.conv2d(x, kernel, 1, "SAME"))
        for name, fn, arg, flops in (
            ("matmul_2048", matmul, a, 2 * 2048**3),
            ("conv3x3_256", conv, x, 2 * 64 * 32 * 16 * 9 * 256 * 256),
        ):
            fn(arg).numpy()
            best = float("inf")
            for _ in range(4):
                t = time.perf_counter()
                fn(arg).numpy()
                best = min(best, time.perf_counter() - t)
            results[f"{dtype.name} {name}"] = flops / best / 1e9
    Path(out).write_text(json.dumps(results))


def _profile(precision: str, model_dir: str, out: str) -> None:
    """Time per oneDNN primitive kind (and implementation) over three 32-window calls after warm-up.

    The parent starts this child with ONEDNN_VERBOSE=profile_exec; oneDNN prints one line per
    primitive run to stdout, which goes to a file here; only the lines of the timed calls count.
    """
    import ctypes

    from whale_assets.sources.humpback_model import load_humpback_model

    log = Path(out + ".verbose")
    sink = open(log, "w")  # noqa: SIM115 (kept open as fd 1 for the process's life)
    os.dup2(sink.fileno(), 1)
    libc = ctypes.CDLL(None)
    model = load_humpback_model(model_dir, precision=precision)
    samples = model.grid.samples_for_windows(model.chunk_windows)
    rng = np.random.default_rng(0)
    batch = (rng.standard_normal((model.batch_rows, samples)) * 8e-5 - 0.0034).astype(np.float32)
    model._call(batch, model.chunk_windows)  # builds and optimizes the graph
    libc.fflush(None)
    first = log.stat().st_size
    started = time.perf_counter()
    for _ in range(3):
        model._call(batch, model.chunk_windows)
    wall = (time.perf_counter() - started) / 3
    libc.fflush(None)
    with open(log) as lines:
        lines.seek(first)
        timed = lines.read().splitlines()
    per_kind: dict[str, float] = collections.defaultdict(float)
    for line in timed:
        parts = line.split(",")
        if len(parts) > 6 and parts[0] == "onednn_verbose" and parts[2] == "primitive" and parts[3] == "exec":
            per_kind[f"{parts[5]} {parts[6]}"] += float(parts[-1]) / 1e3 / 3
    Path(out).write_text(json.dumps({"wall_s": wall, "per_kind_s": dict(per_kind)}))


def run_child(mode: str, precision: str, model: Path, archive: Path, minutes: float, work: Path) -> dict:
    out = work / f"{mode}-{precision}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--precision",
        precision,
        "--model",
        str(model),
        "--archive",
        str(archive),
        "--minutes",
        str(minutes),
        "--out",
        str(out),
    ]
    env = {**os.environ, "ONEDNN_VERBOSE": "profile_exec"} if mode == "profile" else None
    process = subprocess.Popen(command, cwd=HERE.parent, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{mode} {precision} failed with status {status}")
    result = json.loads(out.read_text())
    result["peak_rss_gb"] = usage.ru_maxrss / 1024**2  # KiB on Linux
    result["cpu_s"] = usage.ru_utime + usage.ru_stime  # the child's whole life: load, graph building, scoring
    for suffix, key in ((".npy", "scores"), (".times.npy", "times")):
        if (path := Path(str(out) + suffix)).exists():
            result[key] = np.load(path)
    print(
        f"  {mode} {precision}: {result.get('seconds', result.get('wall_s', 0)):.1f} s, peak RSS {result['peak_rss_gb']:.2f} GB",
        flush=True,
    )
    return result


def cpu_flags() -> list[str]:
    words = set(Path("/proc/cpuinfo").read_text().split())
    return sorted(flag for flag in ("avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8") if flag in words)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="real-size SavedModel (built in a temp dir if omitted)")
    parser.add_argument("--minutes", type=float, default=60.0, help="audio scored in each precision (one hour)")
    parser.add_argument("--no-profile", action="store_true", help="skip the per-primitive profile")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="float32", help=argparse.SUPPRESS)
    parser.add_argument("--archive", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.precision, str(args.model), args.archive, args.minutes, args.out)
        return 0

    with tempfile.TemporaryDirectory(prefix="whale-bench-") as tmp:
        work = Path(tmp)
        model = args.model
        if model is None:
            model = work / "realsize_humpback"
            subprocess.run([sys.executable, str(HERE / "realsize_humpback_model.py"), str(model)], check=True)
        info = json.loads((model / "realsize_info.json").read_text())
        archive = work / "archive"
        write_archive(archive, args.minutes)
        print(
            f"model {model}: {info['parameters'] / 1e6:.2f} M parameters, {info['resnet_flops_per_window'] / 1e9:.2f} GFLOP/window"
        )
        print(f"cores: {len(os.sched_getaffinity(0))}; CPU flags: {' '.join(cpu_flags())}; load: {os.getloadavg()}")
        peak = run_child("peak", "float32", model, archive, 0, work)
        runs = {p: run_child("score", p, model, archive, args.minutes, work) for p in PRECISIONS}
        profiles = {} if args.no_profile else {p: run_child("profile", p, model, archive, 0, work) for p in PRECISIONS}
        print(f"load after: {os.getloadavg()}")
    report(info, peak, runs, profiles)
    return 0


def report(info: dict, peak: dict, runs: dict[str, dict], profiles: dict[str, dict]) -> None:
    from whale_assets.core.scoring.pooling import detect, filtered_by_stretch
    from whale_assets.core.tables.hourly_presence import hourly_presence

    flops = info["resnet_flops_per_window"]
    print()
    gflops = {k: v for k, v in peak.items() if k != "peak_rss_gb"}
    print("machine peak (TF, GFLOP/s): " + ", ".join(f"{k} {v:.1f}" for k, v in gflops.items()))
    for kind in ("matmul_2048", "conv3x3_256"):
        print(f"  bfloat16 / float32 {kind}: {gflops[f'bfloat16 {kind}'] / gflops[f'float32 {kind}']:.2f}x")
    print()
    print("| precision | audio min | wall s | x real time | model GFLOP/s | peak RSS GB | loaded model GB |")
    print("|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        achieved = r["windows"] / r["seconds"] * flops / 1e9
        print(
            f"| {name} | {r['audio_s'] / 60:g} | {r['seconds']:.1f} | {r['audio_s'] / r['seconds']:.1f}x | "
            f"{achieved:.1f} | {r['peak_rss_gb']:.2f} | {r['loaded_rss_gb']:.2f} |"
        )
    f32, bf16 = runs["float32"], runs["bfloat16"]
    print(f"\nbfloat16 / float32 speed: {f32['seconds'] / bf16['seconds']:.2f}x (target >= 1.8x)")

    a, b, times = f32["scores"].astype(np.float64), bf16["scores"].astype(np.float64), f32["times"]
    both = ~(np.isnan(a) | np.isnan(b))
    diff = np.abs(a - b)[both]
    p999 = float(np.quantile(diff, 0.999))
    print(
        f"\nagreement over {both.sum()} windows: max |diff| {diff.max():.2e}, p99.9 {p999:.2e}, median {np.median(diff):.2e}"
    )
    print(
        f"float32 scores: min {np.nanmin(a):.4f}, median {np.nanmedian(a):.4f}, max {np.nanmax(a):.4f}; "
        f"within 0.01 of the 0.5 threshold: {np.mean(np.abs(a[both] - 0.5) < 0.01):.1%}"
    )
    step_ns = int(np.diff(times[:2]).astype(np.int64)[0])
    crossings = [filtered_by_stretch(times[both], s[both], step_ns, 5) >= 0.5 for s in (a, b)]
    print(
        f"median-filtered (5) threshold crossings identical: {np.array_equal(*crossings)} "
        f"({int(np.sum(crossings[0] != crossings[1]))} windows differ; {int(crossings[0].sum())} above in float32)"
    )
    detections = [detect(s[both], times=times[both]) for s in (a, b)]
    print(
        "detect() over the hour: "
        + " vs ".join(f"detected {d.detected} at window {d.peak_index} (max {d.max_score:.4f})" for d in detections)
    )
    print(f"distinct bfloat16 score values: {np.unique(b[both]).size} (float32: {np.unique(a[both]).size})")
    presence = [hourly_presence(DAY, times, s) for s in (a, b)]
    decisions = ["n_scores", "n_above_threshold", "present"]
    same_presence = presence[0][decisions].equals(presence[1][decisions])
    print(
        f"hourly_presence identical: {presence[0].equals(presence[1])} (all columns); "
        f"{same_presence} ({', '.join(decisions)}; max_score differs by the scores' difference)"
    )
    identical = np.array_equal(*crossings) and same_presence
    print(
        f"agreement rule (identical detections and p99.9 <= 0.01): {'met' if identical and p999 <= 0.01 else 'not met'}"
    )

    for name, p in profiles.items():
        total = sum(p["per_kind_s"].values())
        print(
            f"\nprofile {name}: {p['wall_s']:.3f} s per 32-window call, oneDNN primitives {total:.3f} s, "
            f"TensorFlow's own ops {p['wall_s'] - total:.3f} s"
        )
        for kind, seconds in sorted(p["per_kind_s"].items(), key=lambda kv: -kv[1])[:8]:
            print(f"  {kind:60s} {seconds:.3f} s ({seconds / p['wall_s']:.0%})")


if __name__ == "__main__":
    sys.exit(main())
