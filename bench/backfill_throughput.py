"""Backfill throughput of the multi-process deployment with 1 and 2 concurrent runs, side by side.

The deployment of `whale_assets_tests/deploy/test_multiprocess_backfill.py`: the instance on
PostgreSQL, `dagster code-server start`, `whale-assets deploy-init`, `dagster-daemon run` with the
QueuedRunCoordinator and the DefaultRunLauncher (each run its own process), results in S3 on a
loopback moto server. The same N days are backfilled once with `max_concurrent_runs: 1` and once
with 2, each on a fresh instance and S3 prefix (nothing reused), in one invocation; printed:
days per minute from the backfill's launch to its last run's end, and the ratio.

    python bench/backfill_throughput.py                     # 6 days, the served model (stand-in)
    python bench/backfill_throughput.py --days 8 --margin-s 600
    python bench/backfill_throughput.py --classifier energy  # no model server
    python bench/backfill_throughput.py --model-server grpc://127.0.0.1:8500   # a model server of yours

`served` without `--model-server` builds the tests' stand-in SavedModel (real signatures and
timing, no learnt weights) and serves it with the TF Serving stand-in in its own process.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pandas as pd

from whale_assets_tests.support.deployment import running_deployment, running_model_server
from whale_assets_tests.support.postgres import running_postgres
from whale_assets_tests.support.s3_server import FAKE_CREDENTIALS, moto_server
from whale_assets_tests.support.world import World, export_row

FIRST_DAY = pd.Timestamp("2023-09-01")
BUCKET = "whale-bench"
ENCOUNTER_HOURS = (10, 16)  # two encounters a day, each with its own window of audio


def build_world(root: Path, days: list[str], margin_s: float) -> World:
    """Each day: two encounters, each with margin_s of MARS-like audio either side, one with song."""
    world = World(root)
    rows = []
    seconds = 2 * margin_s + 120
    for n, day in enumerate(days):
        for k, hour in enumerate(ENCOUNTER_HOURS):
            start = pd.Timestamp(f"{day} {hour:02d}:00:00")
            rows.append(export_row(f"{day}-{k}", f"{start:%Y-%m-%d %H:%M:%S}"))
            song = (margin_s, margin_s + 60.0) if k == 0 else None
            world.audio(
                f"{start - pd.Timedelta(seconds=margin_s):%Y-%m-%d %H:%M:%S}", seconds, song_at_s=song, seed=2 * n + k
            )
    world.encounters(*rows)
    world.write_archive()
    return world


def backfill_once(
    root: Path, world: World, days: list[str], concurrent: int, endpoint: str, whale: dict, margin_s: float
) -> tuple[float, float, list[float]]:
    """Wall seconds from launch to the last run's end, from the first run's start, and each run's duration."""
    whale = {**whale, "WHALE_S3_PREFIX": f"runs-{concurrent}", "WHALE_DATA_DIR": str(root / "local")}
    with (
        running_postgres() as url,
        running_deployment(root, url, whale, endpoint, max_concurrent_runs=concurrent) as dep,
    ):
        launched = time.time()
        backfill = dep.launch_backfill(
            "whale_pipeline", days, {"ops": {"raw_audio": {"config": {"margin_s": margin_s}}}}
        )
        records = dep.wait_for_backfill(backfill, len(days), timeout_s=3600)
    failed = [r.dagster_run.tags.get("dagster/partition") for r in records if r.dagster_run.status.value != "SUCCESS"]
    if failed:
        raise RuntimeError(f"runs failed for {failed}; logs in {root}")
    last = max(r.end_time for r in records)
    return last - launched, last - min(r.start_time for r in records), [r.end_time - r.start_time for r in records]


@contextlib.contextmanager
def stand_in_model_server(root: Path) -> Iterator[str]:
    from whale_assets_tests.support.humpback_savedmodel import build_humpback_savedmodel

    model = build_humpback_savedmodel(root / "savedmodel")
    with running_model_server(model, root / "model-server.log") as url:
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=6)
    parser.add_argument("--margin-s", type=float, default=300.0, help="audio kept either side of an encounter")
    parser.add_argument(
        "--classifier", default="served", choices=("served", "energy"), help="WHALE_CLASSIFIER of the runs"
    )
    parser.add_argument("--model-server", help="WHALE_MODEL_SERVER for served (default: the stand-in, started here)")
    args = parser.parse_args()

    days = [f"{FIRST_DAY + pd.Timedelta(days=n):%Y-%m-%d}" for n in range(args.days)]
    with (
        tempfile.TemporaryDirectory(prefix="whale-bench-backfill-") as tmp,
        moto_server() as endpoint,
        contextlib.ExitStack() as stack,
    ):
        root = Path(tmp)
        classifier = {"WHALE_CLASSIFIER": args.classifier}
        if args.classifier == "served":
            classifier["WHALE_MODEL_SERVER"] = args.model_server or stack.enter_context(stand_in_model_server(root))
        world = build_world(root / "world", days, args.margin_s)
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        ).create_bucket(Bucket=BUCKET)
        whale = {
            "WHALE_STORAGE": "s3",
            "WHALE_S3_BUCKET": BUCKET,
            "WHALE_ENCOUNTERS": str(world.encounters_dir),
            "WHALE_AUDIO_SOURCE": str(world.archive_dir),
            **classifier,
        }
        print(
            f"{args.days} days x {len(ENCOUNTER_HOURS)} encounters, margin_s={args.margin_s:g}, "
            f"classifier {args.classifier}; Postgres instance, S3 (moto) results, one process per run"
        )
        rates, running_rates = {}, {}
        for concurrent in (1, 2):
            wall, running, durations = backfill_once(
                root / f"deploy-{concurrent}", world, days, concurrent, endpoint, whale, args.margin_s
            )
            rates[concurrent] = args.days / (wall / 60)
            running_rates[concurrent] = args.days / (running / 60)
            print(
                f"max_concurrent_runs {concurrent}: {wall:6.1f} s from launch = {rates[concurrent]:.2f} days/min "
                f"({running:.1f} s from the first run's start = {running_rates[concurrent]:.2f} days/min); "
                f"run time median {statistics.median(durations):.1f} s "
                f"(min {min(durations):.1f}, max {max(durations):.1f})"
            )
        print(
            f"ratio 2 / 1 runs: {rates[2] / rates[1]:.2f}x days per minute from launch, "
            f"{running_rates[2] / running_rates[1]:.2f}x from the first run's start"
        )


if __name__ == "__main__":
    main()
