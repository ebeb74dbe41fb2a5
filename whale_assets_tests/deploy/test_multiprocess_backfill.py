"""A 4-day backfill on a multi-process deployment: Postgres instance, code server, daemon, S3 results.

Every component is real and its own process on loopback: PostgreSQL (Debian's server, as the
`postgres` user) holds runs, event logs and pool limits (deploy/postgres/dagster.yaml); moto's S3
server holds the results (`WHALE_STORAGE=s3`); `dagster code-server start` serves the code
location; `whale-assets deploy-init` sets the pool limits; `dagster-daemon run` takes the
backfill's runs from the QueuedRunCoordinator (2 at a time) and the DefaultRunLauncher runs each
as its own process. The test proves every run succeeds, each day has its rows, the pools hold
across runs (no two steps of one pool overlap, from the event log in Postgres), runs really ran
two at a time, and `whale-assets sql` answers from S3.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import boto3
import pandas as pd
import pytest

from whale_assets.assets import PIPELINE_ASSETS
from whale_assets_tests.support.deployment import pool_waits, running_deployment, running_model_server, step_spans
from whale_assets_tests.support.postgres import running_postgres
from whale_assets_tests.support.s3_server import FAKE_CREDENTIALS, moto_server
from whale_assets_tests.support.world import World, export_row

pytestmark = [
    pytest.mark.slow,  # ~2-3 minutes: five servers and four run processes on loopback
    pytest.mark.skipif(
        importlib.util.find_spec("dagster_postgres") is None,
        reason="the postgres extra is not installed: pip install -e '.[postgres]'",
    ),
]

DAYS = ["2023-09-13", "2023-09-14", "2023-09-15", "2023-09-16"]
# Small days, yet long enough that a run is still working when the queue launches the next one: the
# queue holds a run back while its first step's pool (duckdb_writers) is taken, and a run process
# needs ~10 s to start, so runs of a few seconds would never overlap.
MARGIN_S = 300.0
AUDIO_S = 2 * MARGIN_S + 120.0
RUN_CONFIG = {"ops": {"raw_audio": {"config": {"margin_s": MARGIN_S}}}}
BACKFILL_TIMEOUT_S = 240
BUCKET = "whale-deploy"
# What each day holds: encounter -> (song in its window?, has audio?)
ENCOUNTERS = {
    DAYS[0]: {"a-song": (True, True)},
    DAYS[1]: {"b-quiet": (False, True), "b-song": (True, True)},
    DAYS[2]: {"c-quiet": (False, True)},
    DAYS[3]: {"d-no-file": (False, False)},  # no day file: a no_audio row
}


def build_world(root: Path) -> World:
    world = World(root)
    rows = []
    for n, (day, encounters) in enumerate(ENCOUNTERS.items()):
        for hour, (encounter, (song, audio)) in zip((10, 14), encounters.items(), strict=False):
            rows.append(export_row(encounter, f"{day} {hour}:00:00"))
            if audio:
                start = pd.Timestamp(f"{day} {hour:02d}:00:00") - pd.Timedelta(seconds=MARGIN_S)
                world.audio(f"{start}", AUDIO_S, song_at_s=(MARGIN_S + 30, MARGIN_S + 90) if song else None, seed=n)
    world.encounters(*rows)
    world.write_archive()
    return world


@pytest.fixture(params=["served"])
def classifier_env(request, tmp_path) -> Iterator[dict[str, str]]:
    """How the runs score: `served`, the stand-in SavedModel behind the TF Serving stand-in in its own
    process (the runs hold no TensorFlow), or `energy` (no model, no server)."""
    if request.param == "energy":
        yield {"WHALE_CLASSIFIER": "energy"}
        return
    model_dir = request.getfixturevalue("humpback_savedmodel_dir")
    with running_model_server(model_dir, tmp_path / "model-server.log") as url:
        yield {"WHALE_CLASSIFIER": "served", "WHALE_MODEL_SERVER": url}


def pools_by_step() -> dict[str, str]:
    return {asset.op.name: asset.op.pool for asset in PIPELINE_ASSETS if asset.op.pool}


def most_at_once(intervals: list[tuple[float, float]]) -> int:
    """The largest number of intervals that overlap at one instant."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    return max(itertools.accumulate(change for _, change in edges))


def test_a_four_day_backfill_runs_two_at_a_time_on_postgres_with_results_in_s3(tmp_path, classifier_env):
    world = build_world(tmp_path / "world")
    local_data = tmp_path / "local-data"  # must stay untouched: results go to S3
    with running_postgres() as postgres_url, moto_server() as endpoint:
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            **{
                "aws_access_key_id": FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                "aws_secret_access_key": FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            },
        ).create_bucket(Bucket=BUCKET)
        whale = {
            "WHALE_STORAGE": "s3",
            "WHALE_S3_BUCKET": BUCKET,
            "WHALE_DATA_DIR": str(local_data),
            "WHALE_ENCOUNTERS": str(world.encounters_dir),
            "WHALE_AUDIO_SOURCE": str(world.archive_dir),
            **classifier_env,
        }
        with running_deployment(
            tmp_path / "deployment", postgres_url, whale, endpoint, max_concurrent_runs=2
        ) as deployment:
            backfill_id = deployment.launch_backfill("whale_pipeline", DAYS, RUN_CONFIG)
            records = deployment.wait_for_backfill(backfill_id, len(DAYS), BACKFILL_TIMEOUT_S)
            with deployment.instance() as instance:
                spans = step_spans(instance, [r.dagster_run.run_id for r in records])
                waits = pool_waits(instance, [r.dagster_run.run_id for r in records])
                limits = {p.name: (p.limit, p.from_default) for p in instance.event_log_storage.get_pool_limits()}
            answered = deployment.run(
                "whale-assets",
                "sql",
                "select strftime(date, '%Y-%m-%d') as day, encounter_id, "
                "status, detected, model from whale_results order by 1, 2",
                "--format",
                "csv",
            )
            logs = deployment.tails()

    outcomes = {r.dagster_run.tags["dagster/partition"]: r.dagster_run.status.value for r in records}
    assert outcomes == dict.fromkeys(DAYS, "SUCCESS"), f"{outcomes}\n{logs}"

    # Each run was its own process (DefaultRunLauncher), two at a time (QueuedRunCoordinator).
    runs = [(r.start_time, r.end_time) for r in records]
    assert most_at_once(runs) == 2, runs

    # Pools hold across runs: limits set by deploy-init, and no two steps of a pool ever overlap.
    assert limits == {"duckdb_writers": (1, False), "model_scoring": (1, False)}
    for pool in set(pools_by_step().values()):
        held = sorted((s.start, s.end) for s in spans if pools_by_step().get(s.step_key) == pool)
        assert len(held) >= len(DAYS)
        assert most_at_once(held) == 1, f"{pool} held by two steps at once: {held}"
    print(f"runs {runs}; steps that waited for a pool slot: {waits}")

    # `whale-assets sql` answers from the S3 tables with every day's rows.
    assert answered.returncode == 0, answered.stderr
    rows = pd.read_csv(io.StringIO(answered.stdout))
    expected = sorted((day, encounter) for day, encounters in ENCOUNTERS.items() for encounter in encounters)
    assert sorted(zip(rows["day"], rows["encounter_id"], strict=True)) == expected
    by_id = rows.set_index("encounter_id")
    assert by_id.loc["d-no-file", "status"] == "no_audio"
    assert set(rows["status"]) <= {"ok", "no_signal", "no_audio"}
    scored_by = rows.loc[rows["status"] == "ok", "model"]  # the served model names its server
    assert len(scored_by) and all(m.startswith(classifier_env.get("WHALE_MODEL_SERVER", "energy")) for m in scored_by)
    for song in ("a-song", "b-song"):
        assert by_id.loc[song, "status"] == "ok" and bool(by_id.loc[song, "detected"]), by_id
    # Nothing landed in the local data directory: no whale.duckdb, arrays, figures or leftovers.
    assert [path for path in local_data.rglob("*") if path.is_file()] == []
