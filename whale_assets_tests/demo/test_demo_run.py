"""`make demo` runs the project's `whale_pipeline` job on an instance with the project's dagster.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from whale_assets.demo import launch
from whale_assets.demo import run as demo_run
from whale_assets.demo.world import DEMO_DAYS
from whale_assets.storage.metadata_keys import REUSED_KEY

PIPELINE = {"encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"}

pytestmark = pytest.mark.slow  # builds the demo world (two sparse day files) and runs the pipeline


def test_the_demo_runs_whale_pipeline_on_the_project_instance_settings(tmp_path):
    # As a user runs it (`whale-assets demo`), in its own process: Dagster's compute-log capture in
    # a run on a real instance must not meet pytest's own capture of this process's streams.
    demo = subprocess.run(
        [str(Path(sys.executable).with_name("whale-assets")), "demo", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]

    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        assert not instance.telemetry_enabled
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        runs = instance.get_runs()
    assert {run.job_name for run in runs} == {"whale_pipeline"}
    assert sorted(run.tags["dagster/partition"] for run in runs) == [day.isoformat() for day in DEMO_DAYS]
    for run in runs:
        recorded = json.loads(run.tags[demo_run.DEMO_CONFIG_TAG])
        assert recorded == demo_run.DEMO_CONFIG
        assert run.run_config["ops"]["raw_audio"] == recorded["ops"]["raw_audio"]
    assert json.dumps(demo_run.DEMO_CONFIG) in demo.stdout  # told how to re-run the same way
    assert "sifted_s" in demo.stdout and "no_signal" in demo.stdout

    # Launched from the code location, as the UI launches: the UI can re-execute them, and a
    # re-execution (the run's own job, config and tags) reuses every stored asset of the day.
    first = min(runs, key=lambda run: run.tags["dagster/partition"])
    assert first.remote_job_origin is not None
    assert first.remote_job_origin.location_name == launch.LOCATION
    env = {name: value for name, value in (pair.split("=", 1) for pair in _demo_env(demo.stdout))}
    again = launch.RunRequestSpec(first.job_name, first.tags["dagster/partition"], first.run_config, {})
    [rerun] = launch.launch_and_wait(tmp_path / "dagster_home", env, [again])
    assert rerun.status == DagsterRunStatus.SUCCESS
    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        materialized = [
            entry.get_dagster_event().step_materialization_data.materialization
            for entry in instance.all_logs(rerun.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
        ]
    assert {m.asset_key.path[-1] for m in materialized} == set(PIPELINE)
    assert all(m.metadata[REUSED_KEY].value is True for m in materialized)


def _demo_env(stdout: str) -> list[str]:
    """The WHALE_* settings the demo printed in its `dagster dev` line."""
    line = next(line for line in stdout.splitlines() if line.startswith("Browse and re-execute"))
    return [word for word in line.split() if word.startswith("WHALE_")]
