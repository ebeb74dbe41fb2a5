"""`make demo` runs `whale_pipeline`, `full_day_scoring` and `deliverables` on an instance with the project's dagster.yaml."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from whale_assets.demo import launch
from whale_assets.demo import run as demo_run
from whale_assets.demo.world import DEMO_DAYS
from whale_assets.storage.metadata_keys import REUSED_KEY
from whale_assets_tests.support.raven_tables import assert_valid_raven_table

PIPELINE = {"encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"}

pytestmark = pytest.mark.slow  # builds the demo world (two sparse day files) and runs the pipeline


def test_the_demo_runs_whale_pipeline_on_the_project_instance_settings(tmp_path):
    # As a user runs it (`whale-assets demo`), in its own process: Dagster's compute-log capture in
    # a run on a real instance must not meet pytest's own capture of this process's streams.
    demo = subprocess.run(
        [str(Path(sys.executable).with_name("whale-assets")), "demo", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=1800,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]

    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        assert not instance.telemetry_enabled
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        every_run = instance.get_runs()
    assert {run.job_name for run in every_run} == {"whale_pipeline", *demo_run.LATER_JOBS}
    assert all(run.status == DagsterRunStatus.SUCCESS for run in every_run)
    runs = [run for run in every_run if run.job_name == "whale_pipeline"]
    for job in {run.job_name for run in every_run}:
        partitions = sorted(run.tags["dagster/partition"] for run in every_run if run.job_name == job)
        assert partitions == [day.isoformat() for day in DEMO_DAYS]
    for run in runs:
        recorded = json.loads(run.tags[demo_run.DEMO_CONFIG_TAG])
        assert recorded == demo_run.DEMO_CONFIG
        assert run.run_config["ops"]["raw_audio"] == recorded["ops"]["raw_audio"]
    assert json.dumps(demo_run.DEMO_CONFIG) in demo.stdout  # told how to re-run the same way
    assert "sifted_s" in demo.stdout and "no_signal" in demo.stdout
    _assert_the_deliverables_exist_where_printed(tmp_path / "data", demo.stdout)
    _assert_hw_2003_keeps_the_audio_of_its_day(tmp_path / "data")

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


def _assert_the_deliverables_exist_where_printed(data: Path, stdout: str) -> None:
    for day in DEMO_DAYS:
        table = data / "raven" / day.isoformat() / f"MARS-{day:%Y%m%d}T000000Z-16kHz.Table.1.selections.txt"
        assert table.is_file() and str(table) in stdout
    # Every table the demo wrote (its days' files and the next-day files of runs past midnight)
    # reads back through crowsetta and holds what Raven needs.
    tables = sorted((data / "raven").rglob("*.selections.txt"))
    assert len(tables) >= len(DEMO_DAYS)
    for table in tables:
        assert_valid_raven_table(table)
    provenance = run_sql(data, "select run_id, margin_s, threshold from whale_results")
    assert provenance["run_id"].notna().all() and set(provenance["margin_s"]) == {300.0}
    diel = data / "reports" / "diel_presence.png"
    assert diel.is_file() and diel.stat().st_size > 0 and str(diel) in stdout
    clips = run_sql(
        data,
        "select distinct strftime(date, '%Y-%m-%d') as day, clip_path, listening_path, listening_peak_dbfs "
        "from encounter_clips",
    )
    assert set(clips["day"]) == {day.isoformat() for day in DEMO_DAYS}
    for row in clips.to_dict("records"):
        assert Path(row["clip_path"]).is_file() and str(Path(row["clip_path"]).parent) in stdout
        heard, rate = sf.read(row["listening_path"], dtype="float64")
        assert rate == 16_000 and abs(20 * np.log10(np.abs(heard).max()) - row["listening_peak_dbfs"]) < 1.0


def _assert_hw_2003_keeps_the_audio_of_its_day(data: Path) -> None:
    """Its margin reaches into the missing 09-16 file; the 09-15 audio is kept, not thrown away."""
    [status] = run_sql(data, "select status from whale_results where encounter_id = 'hw-2003'")["status"]
    assert status != "no_audio"
    windows = json.loads((data / "raw_audio" / "2023-09-15" / "index.json").read_text())["windows"]
    [window] = [w for w in windows if "hw-2003" in w.get("encounter_ids", ())]
    assert window["status"] != "no_audio" and window["end_utc"] == "2023-09-16T00:00:00+00:00"
    assert 0.5 < window["audio_coverage"] < 1.0 and "2023-09-16" in window["reason"]


def run_sql(data: Path, sql: str):
    from whale_assets.results_sql import run_query

    return run_query(sql, data / "whale.duckdb")


def _demo_env(stdout: str) -> list[str]:
    """The WHALE_* settings the demo printed in its `dagster dev` line."""
    line = next(line for line in stdout.splitlines() if line.startswith("Browse and re-execute"))
    return [word for word in line.split() if word.startswith("WHALE_")]
