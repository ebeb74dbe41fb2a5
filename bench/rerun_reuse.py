"""Re-running an existing partition against its first run, local and S3 storage side by side.

The first run materializes one demo day (energy classifier, local archive); the re-run of the
same partition must reuse every asset: no archive request, no Happywhale, no model, no write.
Archive calls are counted by wrapping `AudioArchive` in this process.

    python bench/rerun_reuse.py            # local storage, then S3 storage on a loopback moto server
    python bench/rerun_reuse.py --local-only
    python bench/realsize_humpback_model.py /tmp/realsize && \
        python bench/rerun_reuse.py --classifier humpback --model /tmp/realsize   # a real-size model
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from dagster import DagsterInstance, materialize

from whale_assets.assets import PIPELINE_ASSETS
from whale_assets.definitions import build_resources
from whale_assets.demo.world import DEMO_DAYS, build_world
from whale_assets.settings import Settings
from whale_assets.sources import audio_archive

ARCHIVE_CALLS = {"n": 0}


def count_archive_calls() -> None:
    for name in ("read", "layout", "has_day"):
        original = getattr(audio_archive.AudioArchive, name)

        def counted(self, *args, _original=original, **kwargs):
            ARCHIVE_CALLS["n"] += 1
            return _original(self, *args, **kwargs)

        setattr(audio_archive.AudioArchive, name, counted)


def timed_run(settings: Settings, instance: DagsterInstance, margin_s: float) -> tuple[float, int]:
    ARCHIVE_CALLS["n"] = 0
    started = time.perf_counter()
    result = materialize(
        PIPELINE_ASSETS,
        partition_key=DEMO_DAYS[0].isoformat(),
        resources=build_resources(settings),
        instance=instance,
        run_config={
            "ops": {"raw_audio": {"config": {"margin_s": margin_s}}},
            "loggers": {"console": {"config": {"log_level": "ERROR"}}},
        },
    )
    assert result.success
    return time.perf_counter() - started, ARCHIVE_CALLS["n"]


@contextlib.contextmanager
def moto_s3() -> Iterator[dict[str, str]]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{server._server.server_port}"
    env = {
        "AWS_ENDPOINT_URL_S3": endpoint,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    os.environ.update(env)
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="whale-bench")
    try:
        yield {"WHALE_STORAGE": "s3", "WHALE_S3_BUCKET": "whale-bench", "WHALE_S3_PREFIX": "bench"}
    finally:
        server.stop()


def measure(label: str, root: Path, world_env: dict[str, str], storage_env: dict[str, str], margin_s: float) -> None:
    settings = Settings.from_env({**world_env, "WHALE_DATA_DIR": str(root / f"data-{label}"), **storage_env})
    with tempfile.TemporaryDirectory() as home:
        instance = DagsterInstance.from_config(home)
        first, first_calls = timed_run(settings, instance, margin_s)
        again, again_calls = timed_run(settings, instance, margin_s)
    print(
        f"{label:6} first run {first:7.2f} s ({first_calls:3d} archive calls)   "
        f"re-run {again:6.2f} s ({again_calls} archive calls)   re-run/first = {again / first:6.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--local-only", action="store_true")
    parser.add_argument("--margin-s", type=float, default=1800.0, help="raw_audio margin (the default is the asset's)")
    parser.add_argument("--classifier", choices=("energy", "humpback"), default="energy")
    parser.add_argument("--model", help="SavedModel directory for --classifier humpback")
    args = parser.parse_args()
    count_archive_calls()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        world = build_world(root / "world")
        world_env = {
            "WHALE_ENCOUNTERS": str(world.encounters_dir),
            "WHALE_AUDIO_SOURCE": str(world.archive_dir),
            "WHALE_CLASSIFIER": args.classifier,
            **({"WHALE_MODEL": args.model} if args.model else {}),
        }
        print(
            f"one demo day ({DEMO_DAYS[0]}), {args.classifier} classifier, margin_s={args.margin_s:g}; "
            "target: re-run < 5 % of the first run, 0 archive calls"
        )
        measure("local", root, world_env, {}, args.margin_s)
        if not args.local_only:
            with moto_s3() as storage_env:
                measure("s3", root, world_env, storage_env, args.margin_s)


if __name__ == "__main__":
    main()
