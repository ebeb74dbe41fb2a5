"""The humpback model served (TF Serving protocol) against in-process scoring, on the same audio.

Each side in its own process, on the same stretch of MARS-like audio written as a 16 kHz archive
day file in a temp folder, both through `daily_scores`' path (`score_day`: ten-minute chunks read
by byte range, resampled, scored):

- in-process: `load_humpback_model` (TensorFlow and the model in the scoring process);
- served: `load_served_model` over gRPC against the protocol-level TF Serving stand-in
  (`whale_assets_tests/support/model_server.py`) started as its own process with the real-size
  model (`bench/realsize_humpback_model.py`); the client process must end without TensorFlow.

Reported: x real time, the client's peak RSS (`wait4` rusage), the server's peak RSS, and the
largest score difference. Both share the machine's cores: on one machine the served path cannot
be faster, it moves TensorFlow out of the run process. `--rest` adds the REST API (slow here: the
stand-in parses JSON in Python, real TF Serving does not).

    .venv/bin/python bench/served_model.py --model /tmp/realsize --minutes 10
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DAY = dt.date(2023, 9, 14)
RATE = 16_000


def _child(mode: str, model: str, server: str, archive: str, minutes: float, out: str) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from whale_assets.core.scoring.day_chunks import plan_day_chunks
    from whale_assets.core.scoring.day_scoring import score_day
    from whale_assets.sources.audio_archive import AudioArchive, AudioUnavailable

    if mode == "in-process":
        from whale_assets.sources.humpback_model import load_humpback_model

        classifier = load_humpback_model(model)
    else:
        from whale_assets.sources.model_server import ServedModelSpec, load_served_model, parse_server

        classifier = load_served_model(ServedModelSpec(parse_server(server)))
    n = int(minutes * 60 * RATE)
    audio = AudioArchive(archive)
    loaded_gb = _rss_gb()
    started = time.perf_counter()
    plan = plan_day_chunks(n, classifier.grid, RATE)
    scores = score_day(
        plan, classifier, lambda c: audio.read_samples(DAY, c.read_start, c.read_stop), unavailable=(AudioUnavailable,)
    ).scores
    seconds = time.perf_counter() - started
    np.save(out + ".npy", scores)
    tensorflow = sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tensorflow_hub"))
    Path(out).write_text(
        json.dumps(
            {
                "seconds": seconds,
                "windows": int(scores.size),
                "audio_s": n / RATE,
                "loaded_rss_gb": loaded_gb,
                "tensorflow_modules": len(tensorflow),
                "label": getattr(classifier, "name", ""),
            }
        )
    )


def _rss_gb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024**2
    raise RuntimeError("no VmRSS in /proc/self/status")


def run_child(mode: str, model: Path, server: str, archive: Path, minutes: float, work: Path) -> dict:
    out = work / f"{mode}.json"
    command = [
        sys.executable,
        __file__,
        "--child",
        mode,
        "--model",
        str(model),
        "--server",
        server,
        "--archive",
        str(archive),
        "--minutes",
        str(minutes),
        "--out",
        str(out),
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"{mode} failed with status {status}")
    result = json.loads(out.read_text())
    result["peak_rss_gb"] = usage.ru_maxrss / 1024**2  # KiB on Linux
    result["scores"] = np.load(str(out) + ".npy")
    print(f"  {mode:10s}: {result['seconds']:7.1f} s, peak RSS {result['peak_rss_gb']:.2f} GB", flush=True)
    return result


def start_server(model: Path) -> tuple[subprocess.Popen, str, str]:
    """The stand-in TF Serving in its own process; (process, grpc url, rest url)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "whale_assets_tests.support.model_server", "--model", str(model)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"},
        stdout=subprocess.PIPE,
        text=True,
    )
    grpc_url, rest_url = process.stdout.readline().split()
    return process, grpc_url, rest_url


def stop_server(process: subprocess.Popen) -> float:
    """SIGTERM the server; its peak RSS in GB."""
    process.send_signal(signal.SIGTERM)
    _, _, usage = os.wait4(process.pid, 0)
    process.returncode = 0  # reaped here, not by Popen
    return usage.ru_maxrss / 1024**2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="real-size SavedModel (built in a temp dir if omitted)")
    parser.add_argument("--minutes", type=float, default=60.0, help="audio scored each way (an hour by default)")
    parser.add_argument("--rest", action="store_true", help="also score over the REST API")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--archive", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, str(args.model), args.server, args.archive, args.minutes, args.out)
        return 0

    sys.path.insert(0, str(HERE))
    from full_day_scoring import write_archive

    with tempfile.TemporaryDirectory(prefix="whale-bench-served-") as tmp:
        work = Path(tmp)
        model = args.model
        if model is None:
            model = work / "realsize_humpback"
            subprocess.run([sys.executable, str(HERE / "realsize_humpback_model.py"), str(model)], check=True)
        archive = work / "archive"
        write_archive(archive, args.minutes)
        print(f"{args.minutes:g} min of audio, model {model}, cores: {len(os.sched_getaffinity(0))}", flush=True)
        local = run_child("in-process", model, "", archive, args.minutes, work)
        server, grpc_url, rest_url = start_server(model)
        try:
            served = {"served-grpc": run_child("served-grpc", model, grpc_url, archive, args.minutes, work)}
            if args.rest:
                served["served-rest"] = run_child("served-rest", model, rest_url, archive, args.minutes, work)
        finally:
            server_gb = stop_server(server)
    report(local, served, server_gb)
    return 0


def report(local: dict, served: dict[str, dict], server_gb: float) -> None:
    print()
    print("| scorer | x real time | client peak RSS GB | client RSS with model loaded GB | TensorFlow in client |")
    print("|---|---|---|---|---|")
    for name, r in {"in-process": local, **served}.items():
        speed = r["audio_s"] / r["seconds"]
        print(
            f"| {name} | {speed:.1f}x | {r['peak_rss_gb']:.2f} | {r['loaded_rss_gb']:.2f} | "
            f"{'yes' if r['tensorflow_modules'] else 'no'} |"
        )
    print(f"\nstand-in server process peak RSS: {server_gb:.2f} GB")
    for name, r in served.items():
        assert r["tensorflow_modules"] == 0, f"{name}: TensorFlow was imported in the client process"
        assert r["scores"].shape == local["scores"].shape, name
        diff = float(np.max(np.abs(r["scores"] - local["scores"]))) if r["scores"].size else 0.0
        print(
            f"{name}: {r['label']}; max |served - in-process| = {diff:.2e} over {r['scores'].size} windows; "
            f"speed {local['seconds'] / r['seconds']:.2f} of in-process; client peak RSS "
            f"1/{local['peak_rss_gb'] / r['peak_rss_gb']:.1f} of in-process"
        )


if __name__ == "__main__":
    sys.exit(main())
