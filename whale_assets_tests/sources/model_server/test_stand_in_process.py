"""The stand-in TF Serving as its own process, as multi-process tests start it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from whale_assets.sources.model_server import ServedModelSpec, load_served_model, parse_server

ROOT = Path(__file__).resolve().parents[3]


def test_the_stand_in_process_prints_its_urls_serves_both_apis_and_stops_on_sigterm(humpback_savedmodel_dir: Path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "whale_assets_tests.support.model_server",
            "--model",
            str(humpback_savedmodel_dir),
            "--grpc-port",
            "0",
            "--rest-port",
            "0",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        grpc_url, rest_url = process.stdout.readline().split()
        assert grpc_url.startswith("grpc://127.0.0.1:") and rest_url.startswith("http://127.0.0.1:")
        audio = np.random.default_rng(5).normal(-0.0034, 8e-5, 120_000).astype(np.float32)
        scores = [load_served_model(ServedModelSpec(parse_server(url))).score(audio) for url in (grpc_url, rest_url)]
        np.testing.assert_array_equal(scores[0], scores[1])
        assert scores[0].size == 9
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
