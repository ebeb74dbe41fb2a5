"""`make demo` runs the project's `whale_pipeline` job on an instance with the project's dagster.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterInstance

from whale_assets.demo import run as demo_run
from whale_assets.demo.world import DEMO_DAYS

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
