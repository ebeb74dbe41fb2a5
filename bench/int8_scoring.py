"""int8 (VNNI) scoring experiment: the real-size model through TFLite, float32 vs int8, side by side.

An experiment, not a setting: TensorFlow's own runtime has no int8 path for a float SavedModel, so
this converts the model's `score` signature with `tf.lite.TFLiteConverter` (shipped with
TensorFlow, no new dependency) and runs it with `tf.lite.Interpreter(num_threads=2)` (XNNPACK):

- `tflite-float32`: converted as is (checks the conversion against TensorFlow);
- `tflite-dynamic-int8`: dynamic-range quantization (int8 weights, activations quantized per call);
- `tflite-int8`: full-integer quantization of every op that has an int8 kernel (the ResNet, the
  head, the sigmoid), float fallback for the rest (STFT, PCEN's powers), calibrated on MARS-like
  audio the platform already renders (`whale_assets.core.synthesis.mars_scene.MarsScene`, a different seed
  and song from the scored audio);
- `tflite-int8-float-head`: the same calibration, with the pooling, head, sigmoid and the
  front end's matmuls left in float32 (only the ResNet's convolutions and adds in int8).

What the conversion needs, found by this script and printed: `from_saved_model(dir,
signature_keys=["score"])` fails on the int64 `FloorDiv` (`context_step_samples // 300`) unless
SELECT_TF_OPS is allowed, and the model it then writes does not load; so the signature is called
from a fixed-shape function (32 windows: 2 rows of 16, as `HumpbackModel` batches, step 10 000
constant) and converted from that. Even then `tf.signal.frame`'s step stays a run-time value (a
while loop computing a gcd), and the converter writes one reshape output with a static `-1`
dimension, which the interpreter rejects ("Tensor N is invalidly specified in schema"):
`_static_shape_fix` rewrites such shapes to 1 (the real shape is computed when the op runs), and
the calibrator is given the fixed model too.

Each scorer runs `daily_scores`' path (`score_day`, ten-minute chunks, 32 windows per call) over
the same MARS-like audio, each in its own process (peak RSS from `wait4`). The TFLite scorers
reuse `HumpbackModel`'s chunking; a last call with fewer than 32 windows is padded with zeros
(windows are scored independently, PCEN per window). The scorers run round-robin `--repeats`
times (the machine is shared). Reported: wall x real time (fastest round, and each round's ratio
to float32), CPU seconds (steadier under load), peak RSS, agreement with TensorFlow float32 (max and p99.9 |diff|, median-filtered crossings, `detect()`,
`hourly_presence`) and the machine's load average around each run.

    .venv/bin/python bench/realsize_humpback_model.py /tmp/realsize
    .venv/bin/python bench/int8_scoring.py --model /tmp/realsize [--minutes 15] [--repeats 3]   # ~10 min at load 5-8
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from full_day_scoring import DAY, RATE, _rss_gb, write_archive  # noqa: E402

ROWS, CHUNK_WINDOWS, STEP = 2, 16, 10_000
TFLITE_VARIANTS = ("tflite-float32", "tflite-dynamic-int8", "tflite-int8", "tflite-int8-float-head")
FLOAT_OPS = {"tflite-int8": (), "tflite-int8-float-head": ("FULLY_CONNECTED", "MEAN", "LOGISTIC", "RESHAPE")}
"""Calibrated variants and the ops each keeps in float32: the int8 sigmoid's output has steps of
1/256, so `tflite-int8`'s scores near 0.5 can only be 0.5 or 0.5039; the float head keeps the
pooling, the Dense layer and the sigmoid (and the front end's matmuls) in float32."""
SCORERS = ("tf-float32", *TFLITE_VARIANTS)
CALIBRATION_SEED = 7


def _static_shape_fix(model: bytes) -> tuple[bytes, int]:
    """The product's own fix (whale_assets.sources.int8_model), so this experiment converts the same way."""
    from whale_assets.sources.int8_model import _static_shape_fix as fix

    return fix(model)


def calibration_batches(n_batches: int, samples: int) -> list[np.ndarray]:
    """[ROWS, samples, 1] batches of 10 kHz MarsScene audio with song at 6 and 15 dB (not the scored audio)."""
    from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render

    duration = n_batches * ROWS * samples / 10_000 + 10
    scene = MarsScene(
        duration,
        seed=CALIBRATION_SEED,
        sample_rate=10_000,
        song=(SongSession(20.0, duration / 3, 6.0), SongSession(duration / 2, duration / 3, 15.0)),
    )
    audio = render(scene)
    rows = [audio[i * samples : (i + 1) * samples] for i in range(n_batches * ROWS)]
    return [np.stack(rows[b * ROWS : (b + 1) * ROWS])[:, :, np.newaxis] for b in range(n_batches)]


def _convert(model_dir: str, work: str, calibration: int, out: str) -> None:
    """Try the SavedModel's own signature, then convert the TFLite variants from the fixed-shape call."""
    import tensorflow as tf
    from tensorflow.lite.python import convert as tflite_convert
    from tensorflow.lite.python import lite as tflite_internal

    from whale_assets.core.scoring.classifier import WindowGrid

    notes: dict[str, object] = {}
    for label, ops in (
        ("builtins", [tf.lite.OpsSet.TFLITE_BUILTINS]),
        ("builtins+select", [tf.lite.OpsSet.TFLITE_BUILTINS, tf.lite.OpsSet.SELECT_TF_OPS]),
    ):
        converter = tf.lite.TFLiteConverter.from_saved_model(model_dir, signature_keys=["score"])
        converter.target_spec.supported_ops = ops
        try:
            flat = converter.convert()
            tf.lite.Interpreter(model_content=flat).allocate_tensors()
            notes[f"from_saved_model {label}"] = f"ok, {len(flat)} bytes"
        except Exception as exc:  # the point is to report how it fails
            notes[f"from_saved_model {label}"] = f"{type(exc).__name__}: {_first_error_line(exc)}"

    samples = WindowGrid.for_step(STEP, sample_rate=10_000).samples_for_windows(CHUNK_WINDOWS)
    loaded = tf.saved_model.load(model_dir)
    score = loaded.signatures["score"]

    @tf.function(input_signature=[tf.TensorSpec([ROWS, samples, 1], tf.float32, name="waveform")])
    def fixed(waveform):
        return score(waveform=waveform, context_step_samples=tf.constant(STEP, tf.int64))

    concrete = fixed.get_concrete_function()
    batches = calibration_batches(calibration, samples)
    calibrated = None
    add_intermediates = tflite_internal._calibrator.add_intermediate_tensors
    # The calibrator builds an interpreter on the converted model: give it the fixed one.
    tflite_internal._calibrator.add_intermediate_tensors = lambda m: _static_shape_fix(add_intermediates(m))[0]
    for variant in TFLITE_VARIANTS:
        converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded)
        if variant != "tflite-float32":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        started = time.perf_counter()
        try:
            if variant in FLOAT_OPS:  # calibrated full-integer: one calibration, quantized per variant
                if calibrated is None:
                    converter.representative_dataset = lambda: ([b] for b in batches)
                    converter._experimental_calibrate_only = True
                    calibrated = converter.convert()
                flat = tflite_convert.mlir_quantize(calibrated, denylisted_ops=list(FLOAT_OPS[variant]) or None)
            else:
                flat = converter.convert()
            flat, fixed_tensors = _static_shape_fix(flat)
        except Exception as exc:
            notes[variant] = f"{type(exc).__name__}: {_first_error_line(exc)}"
            continue
        Path(work, variant + ".tflite").write_bytes(flat)
        notes[variant] = (
            f"ok in {time.perf_counter() - started:.0f} s, {len(flat) / 1e6:.1f} MB, "
            f"{fixed_tensors} static -1 shape(s) fixed"
        )
    notes["calibration"] = (
        f"{calibration} batches of {ROWS} x {samples} samples ({calibration * ROWS * CHUNK_WINDOWS} windows), MarsScene seed {CALIBRATION_SEED}"
    )
    notes["op_counts"] = {
        v: _op_counts(Path(work, v + ".tflite")) for v in TFLITE_VARIANTS if Path(work, v + ".tflite").exists()
    }
    Path(out).write_text(json.dumps(notes))


def _first_error_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    select = [line for line in lines if line.startswith("TF Select ops:")]
    if select:
        return f"needs SELECT_TF_OPS for {select[0].removeprefix('TF Select ops:').strip()}"
    useful = [line for line in lines if "error" in line.lower() or "invalid" in line.lower() or "Select ops" in line]
    return " | ".join((useful or lines)[:3])[:400]


def _op_counts(path: Path) -> dict[str, int]:
    """Operators by name and input type (int8 or float) in the main graph."""
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.read_model(str(path))
    graph = model.subgraphs[0]
    counts: dict[str, int] = {}
    for op in graph.operators:
        name = flatbuffer_utils.opcode_to_name(model, op.opcodeIndex)
        if name not in ("CONV_2D", "FULLY_CONNECTED", "DEPTHWISE_CONV_2D", "ADD", "MUL"):
            continue
        first = graph.tensors[op.inputs[0]] if len(op.inputs) else None
        kind = flatbuffer_utils.type_to_name(first.type) if first is not None else "?"
        counts[f"{name} {kind}"] = counts.get(f"{name} {kind}", 0) + 1
    return counts


def tflite_model(path: str, threads: int = 2):
    """A `HumpbackModel` whose calls run a fixed-shape TFLite model (same chunking and grid)."""
    import tensorflow as tf

    from whale_assets.core.scoring.classifier import WindowGrid
    from whale_assets.sources.humpback_model import HumpbackModel

    interpreter = tf.lite.Interpreter(model_path=path, num_threads=threads)
    runner = interpreter.get_signature_runner()
    grid = WindowGrid.for_step(STEP, sample_rate=10_000)
    samples = grid.samples_for_windows(CHUNK_WINDOWS)

    class TFLiteHumpbackModel(HumpbackModel):
        def _call(self, batch: np.ndarray, expected_windows: int) -> np.ndarray:
            padded = np.zeros((ROWS, samples, 1), np.float32)
            padded[: batch.shape[0], : batch.shape[1], 0] = batch
            out = runner(waveform=padded)["scores"].reshape(ROWS, CHUNK_WINDOWS)
            return out[: batch.shape[0], :expected_windows]

    module = types.SimpleNamespace(signatures={"score": None})
    return TFLiteHumpbackModel(module, Path(path).stem, grid, STEP, chunk_windows=CHUNK_WINDOWS)


def _score(scorer: str, model_dir: str, work: str, archive: str, minutes: float, out: str) -> None:
    from whale_assets.core.scoring.day_chunks import plan_day_chunks
    from whale_assets.core.scoring.day_scoring import score_day
    from whale_assets.sources.audio_archive import AudioArchive
    from whale_assets.sources.humpback_model import configure_tf_threads, load_humpback_model

    archive_ = AudioArchive(archive)
    if scorer == "tf-float32":
        model = load_humpback_model(model_dir)
    else:
        configure_tf_threads()
        model = tflite_model(str(Path(work, scorer + ".tflite")))
    loaded_gb = _rss_gb()
    n = int(minutes * 60 * RATE)
    plan = plan_day_chunks(n, model.grid, RATE)
    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    scores = score_day(plan, model, lambda c: archive_.read_samples(DAY, c.read_start, c.read_stop)).scores
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    np.save(out + ".npy", scores)
    np.save(out + ".times.npy", plan.window_times(np.datetime64(DAY.isoformat(), "ns")))
    Path(out).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "windows": int(scores.size),
                "audio_s": n / RATE,
                "loaded_rss_gb": loaded_gb,
                "load": [load_before, os.getloadavg()[0]],
            }
        )
    )


def run_child(args: list[str], out: Path) -> dict:
    process = subprocess.Popen([sys.executable, __file__, *args, "--out", str(out)], cwd=HERE.parent)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{args} failed with status {status}")
    result = json.loads(out.read_text())
    result["peak_rss_gb"] = usage.ru_maxrss / 1024**2  # KiB on Linux
    for suffix, key in ((".npy", "scores"), (".times.npy", "times")):
        if (path := Path(str(out) + suffix)).exists():
            result[key] = np.load(path)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="real-size SavedModel (built in a temp dir if omitted)")
    parser.add_argument("--minutes", type=float, default=15.0, help="audio scored by each scorer")
    parser.add_argument(
        "--repeats", type=int, default=3, help="rounds over all scorers (round-robin, against load drift)"
    )
    parser.add_argument("--calibration-batches", type=int, default=8, help="32-window batches of calibration audio")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--archive", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        if args.child == "convert":
            _convert(str(args.model), args.work, args.calibration_batches, args.out)
        else:
            _score(args.child, str(args.model), args.work, args.archive, args.minutes, args.out)
        return 0

    with tempfile.TemporaryDirectory(prefix="whale-bench-") as tmp:
        work = Path(tmp)
        model = args.model
        if model is None:
            model = work / "realsize_humpback"
            subprocess.run([sys.executable, str(HERE / "realsize_humpback_model.py"), str(model)], check=True)
        archive = work / "archive"
        write_archive(archive, args.minutes)
        flags = sorted(
            f
            for f in ("avx512_vnni", "avx512_bf16", "amx_int8", "avx_vnni")
            if f in Path("/proc/cpuinfo").read_text().split()
        )
        print(
            f"cores: {len(os.sched_getaffinity(0))}; CPU flags: {' '.join(flags)}; load average: {os.getloadavg()}",
            flush=True,
        )
        common = ["--model", str(model), "--work", str(work), "--minutes", str(args.minutes)]
        conversion = run_child(
            ["--child", "convert", *common, "--calibration-batches", str(args.calibration_batches)],
            work / "convert.json",
        )
        for key, value in conversion.items():
            print(f"  {key}: {value}", flush=True)
        scorers = [s for s in SCORERS if s == "tf-float32" or (work / f"{s}.tflite").exists()]
        runs: dict[str, list[dict]] = {s: [] for s in scorers}
        for round_ in range(args.repeats):
            for scorer in scorers:
                r = run_child(["--child", scorer, *common, "--archive", str(archive)], work / f"{scorer}-{round_}.json")
                runs[scorer].append(r)
                print(
                    f"  round {round_ + 1} {scorer}: {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, "
                    f"peak RSS {r['peak_rss_gb']:.2f} GB, load {r['load'][0]:.1f}-{r['load'][1]:.1f}",
                    flush=True,
                )
        print(f"load average after: {os.getloadavg()}")
    report(runs)
    return 0


def report(runs: dict[str, dict]) -> None:
    from whale_assets.core.scoring.pooling import detect, filtered_by_stretch
    from whale_assets.core.tables.hourly_presence import hourly_presence

    base = runs["tf-float32"][0]
    best = {name: min(r["seconds"] for r in rs) for name, rs in runs.items()}
    print(
        f"\n{len(runs['tf-float32'])} round(s); wall time is the fastest round, the ratio range covers every round's own ratio"
    )
    print(
        "| scorer | audio min | wall s (best) | x real time (best) | vs TF float32: best / per-round range | CPU s (median) | vs TF float32, CPU | peak RSS GB | loaded GB | load avg (1 min) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, rs in runs.items():
        per_round = [b["seconds"] / r["seconds"] for b, r in zip(runs["tf-float32"], rs, strict=True)]
        cpu = float(np.median([r["cpu_seconds"] for r in rs]))
        cpu_base = float(np.median([r["cpu_seconds"] for r in runs["tf-float32"]]))
        loads = [x for r in rs for x in r["load"]]
        print(
            f"| {name} | {rs[0]['audio_s'] / 60:g} | {best[name]:.1f} | {rs[0]['audio_s'] / best[name]:.1f}x | "
            f"{best['tf-float32'] / best[name]:.2f}x / {min(per_round):.2f}-{max(per_round):.2f}x | {cpu:.1f} | {cpu_base / cpu:.2f}x | "
            f"{max(r['peak_rss_gb'] for r in rs):.2f} | {rs[0]['loaded_rss_gb']:.2f} | {min(loads):.1f}-{max(loads):.1f} |"
        )
    a, times = base["scores"].astype(np.float64), base["times"]
    step_ns = int(np.diff(times[:2]).astype(np.int64)[0])
    print(
        f"\nTF float32 scores: min {np.nanmin(a):.4f}, median {np.nanmedian(a):.4f}, max {np.nanmax(a):.4f} "
        f"(random weights: agreement here is weak evidence for the real model)"
    )
    for name, rs in runs.items():
        if name == "tf-float32":
            continue
        b = rs[0]["scores"].astype(np.float64)
        both = ~(np.isnan(a) | np.isnan(b))
        diff = np.abs(a - b)[both]
        crossings = [filtered_by_stretch(times[both], s[both], step_ns, 5) >= 0.5 for s in (a, b)]
        detections = [detect(s[both], times=times[both]) for s in (a, b)]
        presence = [hourly_presence(DAY, times, s)[["n_scores", "n_above_threshold", "present"]] for s in (a, b)]
        print(
            f"{name} vs TF float32 over {both.sum()} windows: max |diff| {diff.max():.2e}, p99.9 {np.quantile(diff, 0.999):.2e}, "
            f"median {np.median(diff):.2e}; scores {np.nanmin(b):.4f}-{np.nanmax(b):.4f}, {np.unique(b[both]).size} distinct "
            f"(float32 {np.unique(a[both]).size}); "
            f"crossings identical {np.array_equal(*crossings)} ({int(np.sum(crossings[0] != crossings[1]))} differ); "
            f"detect() {detections[0].detected}/{detections[1].detected} peak window {detections[0].peak_index}/{detections[1].peak_index}; "
            f"hourly_presence decisions identical {presence[0].equals(presence[1])}; "
            f"correlation {np.corrcoef(a[both], b[both])[0, 1] if np.ptp(b[both]) > 0 else float('nan'):.3f}"
        )


if __name__ == "__main__":
    sys.exit(main())
