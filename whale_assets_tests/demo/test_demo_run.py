"""`make demo` runs `whale_pipeline`, `full_day_scoring` and `deliverables` on an instance with the project's dagster.yaml."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from whale_assets.demo import launch
from whale_assets.demo import run as demo_run
from whale_assets.demo.world import DEMO_DAYS
from whale_assets.storage.metadata_keys import REUSED_KEY
from whale_assets_tests.support.raven_tables import assert_valid_raven_table

PIPELINE = {"encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"}
AUTOMATION_JOB = "__ASSET_JOB"

pytestmark = pytest.mark.slow  # builds the demo world (two sparse day files) and runs the pipeline


def test_the_demo_runs_whale_pipeline_on_the_project_instance_settings(session_demo):
    # The session's demo (conftest.py), which the tour test (docs/) uses after this test.
    demo, tmp_path = session_demo, session_demo.directory

    with DagsterInstance.from_config(str(tmp_path / "dagster_home")) as instance:
        assert not instance.telemetry_enabled
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 2
        assert instance.get_concurrency_config().pool_config.default_pool_limit == 1
        # The demo's own runs; the automation sensor (on by default) may add deliverables runs of
        # its own (`__ASSET_JOB`) while the demo's daemon is up: those are Dagster's, not the demo's.
        every_run = [run for run in instance.get_runs() if run.job_name != AUTOMATION_JOB]
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
    _assert_reviews_of_the_demo_days_give_the_precision_computed_here(tmp_path / "data", demo.env())

    # Launched from the code location, as the UI launches: the UI can re-execute them, and a
    # re-execution (the run's own job, config and tags) reuses every stored asset of the day.
    first = min(runs, key=lambda run: run.tags["dagster/partition"])
    assert first.remote_job_origin is not None
    assert first.remote_job_origin.location_name == launch.LOCATION
    env = {name: value for name, value in demo.env().items() if name.startswith("WHALE_")}
    assert (
        demo.env()["DAGSTER_HOME"] == str(tmp_path / "dagster_home")
        and f"source {tmp_path / 'demo.env'}" in demo.stdout
    )
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


def _assert_reviews_of_the_demo_days_give_the_precision_computed_here(data: Path, demo_env: dict[str, str]) -> None:
    """An analyst reviews both demo days' tables (yes on the world's song, no elsewhere, some unsure);
    reviewed_detections and detector_performance give what is counted and fitted here."""
    from dagster import instance_for_test, materialize

    from whale_assets.assets import ALL_ASSETS
    from whale_assets.definitions import build_resources
    from whale_assets.demo.world import ENCOUNTERS
    from whale_assets.settings import Settings
    from whale_assets_tests.support.review_checks import (
        fitted_threshold,
        newton_fit,
        verdicts_from_known_song,
        write_review,
    )

    song = [(pd.Timestamp(e.song_utc[0]), pd.Timestamp(e.song_utc[1])) for e in ENCOUNTERS if e.song_utc]
    reviewed = []
    for day in DEMO_DAYS:
        for path in sorted((data / "raven" / day.isoformat()).glob("*.selections.txt")):
            table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
            table["Verdict"] = verdicts_from_known_song(table, song)
            write_review(data / "reviews" / day.isoformat(), path.name, table)
            reviewed.append(table)
    every = pd.concat(reviewed, ignore_index=True)
    assert (every["Verdict"] == "yes").any() and (every["Verdict"] == "unsure").any()

    settings = Settings.from_env({name: value for name, value in demo_env.items() if name.startswith("WHALE_")})
    try:
        with instance_for_test() as instance:
            for day in DEMO_DAYS:
                assert materialize(
                    ALL_ASSETS,
                    selection=["reviewed_detections"],
                    partition_key=day.isoformat(),
                    resources=build_resources(settings),
                    instance=instance,
                ).success
            assert materialize(
                ALL_ASSETS, selection=["detector_performance"], resources=build_resources(settings), instance=instance
            ).success
    finally:  # the tour runs on this demo next: no review files for its review sensor to pick up
        shutil.rmtree(data / "reviews", ignore_errors=True)
    performance = run_sql(data, "select * from detector_performance")
    confidence = every["Confidence"].astype(float).to_numpy()
    verdict = every["Verdict"].to_numpy()
    at = performance[(performance["kind"] == "threshold") & np.isclose(performance["score_low"], 0.5)]
    true, false = (
        int(((confidence >= 0.5) & (verdict == "yes")).sum()),
        int(((confidence >= 0.5) & (verdict == "no")).sum()),
    )
    assert at[["n_true", "n_false", "n_unsure"]].sum().tolist() == [
        true,
        false,
        int(((confidence >= 0.5) & (verdict == "unsure")).sum()),
    ]
    if true + false:
        assert float(at["precision"].iloc[0]) == pytest.approx(true / (true + false))
    fits = performance[performance["kind"] == "fit"].set_index("target_precision")
    decided = verdict != "unsure"
    if (verdict == "yes").any() and (verdict == "no").any():
        intercept, slope = newton_fit(confidence[decided], (verdict[decided] == "yes").astype(float))
        assert float(fits.loc[0.9, "fit_slope"]) == pytest.approx(slope, abs=1e-3)
        for target in (0.9, 0.95):
            expected = fitted_threshold(intercept, slope, target)
            if 0 < expected < 1:
                assert float(fits.loc[target, "score_low"]) == pytest.approx(expected, abs=1e-3)
    else:  # all verdicts one way: no fit, said as NaN thresholds
        assert fits["score_low"].isna().all()
