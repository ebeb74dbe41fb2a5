"""Speed AND agreement per model precision (float32, bfloat16, int8), side by side, on the TRAINED real-size stand-in.

For each seed, MARS-like audio voiced with real song units from the held-out recordings
(`real_song_world.py`: song bouts at 6-15 dB, a ship, blue and fin calls, an earthquake) is
written as an archive day; then each precision scores it through `daily_scores`' own path
(`score_day`, ten-minute chunks) in its own process, precisions interleaved seed by seed, so
that both see the same load. Reported per precision: x real time, CPU seconds of the scoring
(the robust figure on a shared machine: wall clock follows the other users' load) and of the
whole process, peak RSS (with the load average at that moment), and, against float32 on the
same audio:

- p99.9 and max |score difference|;
- threshold crossings after the 5-window median filter (`filtered_by_stretch`) that differ;
- encounter-level `detected` (`detect()` over each 5-minute span, as `whale_results` does for an
  encounter's window) and `hourly_presence` decisions (`present`; and how many of the hour's
  `n_above_threshold` windows differ);
- ROC AUC of each precision against the song labels (units covering >= 0.5 s of a window).

bfloat16 is labelled native or emulated from the CPU flags; int8 is `WHALE_MODEL_PRECISION=int8`
(the calibrated LiteRT conversion, `whale_assets/sources/int8_model.py`), converted once before
the timed runs (a separate process, so its ~2 GB conversion peak is not the scorer's peak RSS).

    .venv/bin/python bench/train_standin.py            # once: ~/.cache/whale_assets/trained_standin
    .venv/bin/python bench/precision_agreement.py --seeds 301 302 303 --minutes 6
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import real_song_world as world  # noqa: E402
from bfloat16_scoring import cpu_flags, run_child  # noqa: E402
from full_day_scoring import DAY  # noqa: E402
from train_standin import DEFAULT_OUT  # noqa: E402

ENCOUNTER_S = 300


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def write_scene_archive(root: Path, seed: int, minutes: float, units) -> np.ndarray:
    """Write the seed's scene as the archive day; returns its song units [(start_s, end_s)]."""
    from whale_assets.core.synthesis.mars_scene import render_pieces
    from whale_assets.demo.archive_writer import archive_path, stream_segment, write_day_file

    scene = world.scene(seed, minutes, units)
    write_day_file(archive_path(root, DAY), stream_segment(0.0, render_pieces(scene)), duration_s=minutes * 60)
    return scene


def compare(reference: dict, other: dict, labels: np.ndarray) -> dict:
    from whale_assets.core.scoring.pooling import detect, filtered_by_stretch
    from whale_assets.core.tables.hourly_presence import hourly_presence

    a, b, times = reference["scores"].astype(np.float64), other["scores"].astype(np.float64), reference["times"]
    difference = np.abs(a - b)
    step_ns = int(np.diff(times[:2]).astype(np.int64)[0])
    crossings = [filtered_by_stretch(times, s, step_ns, 5) >= 0.5 for s in (a, b)]
    offsets_s = (times - times[0]).astype(np.int64) / 1e9
    spans = [offsets_s // ENCOUNTER_S == k for k in range(int(offsets_s[-1] // ENCOUNTER_S) + 1)]
    detected = [[detect(s[span], times=times[span]).detected for span in spans] for s in (a, b)]
    presence = [hourly_presence(DAY, times, s) for s in (a, b)]
    return {
        "p999": float(np.quantile(difference, 0.999)),
        "max": float(difference.max()),
        "crossings_differ": int(np.sum(crossings[0] != crossings[1])),
        "crossings": int(crossings[0].sum()),
        "windows": int(a.size),
        "encounters_same": detected[0] == detected[1],
        "encounters_detected": (sum(detected[0]), sum(detected[1]), len(detected[0])),
        "presence_same": presence[0]["present"].equals(presence[1]["present"]),
        "present_hours": (int(presence[1]["present"].sum()), len(presence[1])),
        "above_differ": int(np.abs(presence[0]["n_above_threshold"] - presence[1]["n_above_threshold"]).sum()),
        "auc": (world.roc_auc(a, labels), world.roc_auc(b, labels)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_OUT, help="trained stand-in (bench/train_standin.py)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[301, 302, 303])
    parser.add_argument("--minutes", type=float, default=20.0, help="audio per seed")
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16", "int8"])
    args = parser.parse_args(argv)
    if not (args.model / "saved_model.pb").exists():
        parser.error(f"{args.model} holds no SavedModel: run bench/train_standin.py first")
    report = json.loads((args.model / "standin_report.json").read_text())
    flags = cpu_flags()
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    print(f"CPU: {cpu_model()}; cores: {len(os.sched_getaffinity(0))}; flags: {' '.join(flags)}")
    print(f"bfloat16 here is {'NATIVE' if native else 'EMULATED (no avx512_bf16/amx_bf16)'}")
    print(
        f"model: {args.model} (trained stand-in: held-out ROC AUC {report['roc_auc']:.3f}, "
        f"precision {report['precision_at_0.5']:.2f} / recall {report['recall_at_0.5']:.2f} at 0.5)"
    )
    print(f"load average at start (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    if "int8" in args.precisions:
        prepare_int8(args.model)
    units = world.load_units(world.HELD_OUT_RECORDINGS)
    rows = []
    with tempfile.TemporaryDirectory(prefix="whale-precision-") as tmp:
        for seed in args.seeds:
            work = Path(tmp) / str(seed)
            work.mkdir()
            scene = write_scene_archive(work / "archive", seed, args.minutes, units)
            runs = {}
            for precision in args.precisions:
                load = os.getloadavg()[0]
                runs[precision] = run_child("score", precision, args.model, work / "archive", args.minutes, work)
                runs[precision]["load"] = (load, os.getloadavg()[0])
            times = runs[args.precisions[0]]["times"]
            starts_s = (times - times[0]).astype(np.int64) / 1e9
            labels = world.window_labels(scene, starts_s, 3.9124)
            for precision, run in runs.items():
                rows.append((seed, precision, run, compare(runs["float32"], run, labels)))
    print(f"load average at end (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print_table(rows, args.precisions, native, "avx512_vnni" in flags or "amx_int8" in flags)
    return 0


def prepare_int8(model: Path) -> None:
    """Convert (or find cached) the int8 model in its own process, before anything is timed."""
    started = time.perf_counter()
    code = (
        "import sys; from whale_assets.sources.humpback_model import load_humpback_model; "
        "m = load_humpback_model(sys.argv[1], precision='int8'); print(m.cache_entry)"
    )
    entry = (
        subprocess.run(
            [sys.executable, "-c", code, str(model)],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    print(
        f"int8 model: {entry} (ready in {time.perf_counter() - started:.0f} s; converted once, then cached)", flush=True
    )


def precision_name(precision: str, native: bool, vnni: bool) -> str:
    if precision == "bfloat16":
        return f"bfloat16 ({'native' if native else 'emulated'})"
    if precision == "int8":
        return f"int8 (LiteRT, {'VNNI' if vnni else 'no VNNI'})"
    return precision


def print_table(rows: list, precisions: list[str], native: bool, vnni: bool) -> None:
    print(
        "\n| seed | precision | x real time | scoring CPU s (process) | peak RSS GB | load 1-min (start-end) | p99.9 abs diff "
        "| max abs diff | crossings differ | encounters detected (same?) | present hours (same?) | ROC AUC (float32's) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for seed, precision, run, c in rows:
        label = precision_name(precision, native, vnni)
        print(
            f"| {seed} | {label} | {run['audio_s'] / run['seconds']:.1f}x | {run['scoring_cpu_s']:.1f} ({run['cpu_s']:.0f}) | "
            f"{run['peak_rss_gb']:.2f} | "
            f"{run['load'][0]:.1f}-{run['load'][1]:.1f} | {c['p999']:.1e} | {c['max']:.1e} | "
            f"{c['crossings_differ']}/{c['windows']} ({c['crossings']} above) | "
            f"{c['encounters_detected'][1]}/{c['encounters_detected'][2]} ({c['encounters_same']}) | "
            f"{c['present_hours'][0]}/{c['present_hours'][1]} ({c['presence_same']}; n_above differs by {c['above_differ']}) | "
            f"{c['auc'][1]:.3f} ({c['auc'][0]:.3f}) |"
        )
    print()
    for precision in precisions:
        mine = [(run, c) for _, p, run, c in rows if p == precision]
        base = [run for _, p, run, _ in rows if p == "float32"]
        speed = sum(r["audio_s"] / r["seconds"] for r, _ in mine) / len(mine)
        ratio = np.mean([b["seconds"] / r["seconds"] for (r, _), b in zip(mine, base, strict=True)])
        cpu = np.mean([b["scoring_cpu_s"] / r["scoring_cpu_s"] for (r, _), b in zip(mine, base, strict=True)])
        same = all(c["encounters_same"] and c["presence_same"] for _, c in mine)
        print(
            f"{precision_name(precision, native, vnni)}: mean {speed:.1f}x real time, {ratio:.2f}x float32's speed (wall), {cpu:.2f}x less scoring CPU; "
            f"encounter detections and hourly presence identical to float32 on every seed: {same}"
            + (
                f"; >= 2x float32's speed with identical decisions: {'YES' if ratio >= 2 and same else 'no'}"
                if precision != "float32"
                else ""
            )
        )


if __name__ == "__main__":
    sys.exit(main())
