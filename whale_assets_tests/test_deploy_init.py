"""`whale-assets deploy-init`: every pool the definitions declare gets an explicit limit in the instance."""

from __future__ import annotations

import pytest
from dagster import instance_for_test

from whale_assets.cli import main
from whale_assets.definitions import build_definitions
from whale_assets.deploy_init import (
    DeployInitError,
    apply_pool_limits,
    limits_from,
    parse_limits,
    pool_limits,
    project_pools,
)
from whale_assets.jobs import JOBS
from whale_assets.settings import Settings


def test_the_pools_are_those_the_jobs_of_the_code_location_run(tmp_path):
    definitions = build_definitions(Settings.from_env({"WHALE_DATA_DIR": str(tmp_path), "WHALE_CLASSIFIER": "energy"}))
    job_pools = {pool for job in JOBS for pool in definitions.resolve_job_def(job.name).graph.pools}

    assert project_pools() == job_pools
    assert {"duckdb_writers", "model_scoring"} <= job_pools


def test_one_node_gets_one_slot_per_pool_and_n_pods_one_slot_per_pod():
    pools = {"duckdb_writers", "model_scoring"}
    assert pool_limits(pools) == {"duckdb_writers": 1, "model_scoring": 1}
    assert pool_limits(pools, pods=4) == {"duckdb_writers": 4, "model_scoring": 4}
    assert pool_limits(pools, pods=4, overrides={"duckdb_writers": 1}) == {"duckdb_writers": 1, "model_scoring": 4}


@pytest.mark.parametrize(
    "pods, overrides, message",
    [
        (0, {}, "positive"),
        (1, {"model_scorin": 2}, "unknown pool(s) model_scorin"),
        (1, {"model_scoring": -1}, "model_scoring=-1 must be at least 1"),
    ],
)
def test_bad_pods_or_limits_are_refused_naming_the_problem(pods, overrides, message):
    with pytest.raises(DeployInitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pool_limits({"duckdb_writers", "model_scoring"}, pods, overrides)


def test_flags_win_over_the_environment_which_wins_over_one_nodes_defaults():
    env = {"WHALE_DEPLOY_PODS": "3", "WHALE_POOL_LIMITS": "duckdb_writers=2, model_scoring=5"}
    assert limits_from(None, [], {}) == {"duckdb_writers": 1, "model_scoring": 1}
    assert limits_from(None, [], {"WHALE_DEPLOY_PODS": "3"}) == {"duckdb_writers": 3, "model_scoring": 3}
    assert limits_from(None, [], env) == {"duckdb_writers": 2, "model_scoring": 5}
    assert limits_from(2, ["model_scoring=1"], env) == {"duckdb_writers": 2, "model_scoring": 1}
    with pytest.raises(DeployInitError, match="WHALE_DEPLOY_PODS"):
        limits_from(None, [], {"WHALE_DEPLOY_PODS": "many"})
    with pytest.raises(DeployInitError, match="POOL=N"):
        parse_limits(["model_scoring:2"])


def test_limits_are_set_explicitly_and_setting_them_again_changes_nothing(tmp_path):
    with instance_for_test(temp_dir=str(tmp_path)) as instance:
        first = apply_pool_limits(instance, {"duckdb_writers": 1, "model_scoring": 2})
        again = apply_pool_limits(instance, {"duckdb_writers": 1, "model_scoring": 2})
        stored = {p.name: (p.limit, p.from_default) for p in instance.event_log_storage.get_pool_limits()}

    assert [(p.pool, p.limit, p.previous) for p in first] == [("duckdb_writers", 1, None), ("model_scoring", 2, None)]
    assert [(p.pool, p.previous) for p in again] == [("duckdb_writers", 1), ("model_scoring", 2)]
    assert stored == {"duckdb_writers": (1, False), "model_scoring": (2, False)}


def test_the_command_sets_the_limits_in_the_instance_of_dagster_home(tmp_path, monkeypatch, capsys):
    with instance_for_test(temp_dir=str(tmp_path)) as instance:  # sets DAGSTER_HOME to tmp_path
        monkeypatch.delenv("WHALE_DEPLOY_PODS", raising=False)
        monkeypatch.delenv("WHALE_POOL_LIMITS", raising=False)
        assert main(["deploy-init", "--pods", "2", "--limit", "duckdb_writers=1"]) == 0
        stored = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits()}
    assert stored == {"duckdb_writers": 1, "model_scoring": 2}
    assert capsys.readouterr().out.splitlines() == ["duckdb_writers: 1 (was not set)", "model_scoring: 2 (was not set)"]


def test_the_command_without_dagster_home_says_what_to_do(monkeypatch, capsys):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["deploy-init"]) == 2
    assert "DAGSTER_HOME is not set" in capsys.readouterr().err


@pytest.mark.faults
@pytest.mark.parametrize("limit", ["duckdb_writers=0", "duckdb_writers=-1", "model_scoring=0"])
def test_a_pool_limit_below_one_is_refused_before_the_instance_is_touched(tmp_path, monkeypatch, capsys, limit):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert main(["deploy-init", "--limit", limit]) == 2
        stored = {p.name: p.limit for p in instance.event_log_storage.get_pool_limits() if not p.from_default}

    err = capsys.readouterr().err
    assert f"{limit} must be at least 1" in err and "blocks every run" in err
    assert "Traceback" not in err
    assert stored == {}
