"""`whale-assets wait-runs`: returns at once on an idle instance, names what is still going otherwise."""

from __future__ import annotations

import pytest
from dagster import DagsterRun, DagsterRunStatus, instance_for_test

from whale_assets.cli import main
from whale_assets.run_wait import busy, wait_until_idle


def test_an_idle_instance_returns_at_once_with_no_backfills():
    with instance_for_test() as instance:
        assert wait_until_idle(instance, timeout_s=5) == []


def test_a_run_in_progress_keeps_it_waiting_and_is_named_when_time_runs_out():
    with instance_for_test() as instance:
        run = DagsterRun(
            job_name="whale_pipeline",
            run_id="started-run",
            status=DagsterRunStatus.STARTED,
            tags={"dagster/partition": "2023-09-14"},
        )
        instance.add_run(run)
        assert busy(instance) == ["whale_pipeline 2023-09-14 STARTED"]
        with pytest.raises(TimeoutError, match="whale_pipeline 2023-09-14 STARTED"):
            wait_until_idle(instance, timeout_s=0.1, poll_s=0.05)


def test_without_dagster_home_it_says_which_file_to_source(monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["wait-runs"]) == 2
    assert "source demo-data/demo.env" in capsys.readouterr().err
