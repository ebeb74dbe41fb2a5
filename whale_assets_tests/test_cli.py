"""`whale-assets`: `sql` over materialized results, and the arguments of `sql` and `demo`."""

from __future__ import annotations

import pytest

from whale_assets.cli import main
from whale_assets_tests.support.pipeline import run_day
from whale_assets_tests.support.world import export_row


def test_sql_answers_over_materialized_results_as_table_and_csv(world, instance, capsys):
    world.encounters(export_row("lonely", "2023-09-14 10:00:00"))
    settings = world.settings()
    run_day(settings, instance)
    database = str(settings.database)
    assert main(["sql", "select encounter_id, status from whale_results", "--database", database]) == 0
    assert "lonely" in capsys.readouterr().out
    assert (
        main(["sql", "select encounter_id, status from whale_results", "--format", "csv", "--database", database]) == 0
    )
    assert capsys.readouterr().out.splitlines() == ["encounter_id,status", "lonely,no_audio"]


def test_sql_without_results_says_what_to_do(tmp_path, capsys):
    assert main(["sql", "select 1", "--database", str(tmp_path / "none.duckdb")]) == 2
    assert "materialize whale_results first" in capsys.readouterr().err


def test_a_bad_query_is_reported_not_raised(world, instance, capsys):
    world.encounters()
    settings = world.settings()
    run_day(settings, instance)
    assert main(["sql", "select nope from whale_results", "--database", str(settings.database)]) == 2
    assert "query failed" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [[], ["sql"], ["sql", "select 1", "--format", "json"], ["report"]],
    ids=["no command", "sql without a query", "unknown format", "unknown command"],
)
def test_bad_arguments_exit_with_usage_before_doing_anything(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert "usage: whale-assets" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "directory"), [(["demo"], "demo-data"), (["demo", "--dir", "elsewhere"], "elsewhere")]
)
def test_demo_runs_in_the_directory_given_or_demo_data(argv, directory, monkeypatch):
    import whale_assets.demo.run

    called_with = []
    monkeypatch.setattr(whale_assets.demo.run, "run_demo", lambda d: called_with.append(d) or 0)
    assert main(argv) == 0
    assert called_with == [directory]


@pytest.mark.parametrize("output_format", ["parquet", "csv"])
def test_export_writes_the_days_asked_for_in_the_format_asked_for(world, instance, tmp_path, output_format, capsys):
    import pandas as pd

    world.encounters(export_row("lonely", "2023-09-14 10:00:00"), export_row("later", "2023-09-15 10:00:00"))
    settings = world.settings()
    run_day(settings, instance, "2023-09-14")
    run_day(settings, instance, "2023-09-15")
    database = str(settings.database)
    out = tmp_path / "out" / f"results.{output_format}"
    argv = ["export", str(out), "--table", "whale_results", "--from", "2023-09-15", "--to", "2023-09-15"]
    assert main([*argv, "--format", output_format, "--database", database]) == 0
    back = pd.read_parquet(out) if output_format == "parquet" else pd.read_csv(out)
    assert list(back["encounter_id"]) == ["later"] and "pooled_score" in back.columns
    assert "1 rows of whale_results" in capsys.readouterr().err
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary left behind


@pytest.mark.parametrize("table", ["whale_results; drop table x", "nope"])
def test_export_refuses_what_is_not_a_stored_table(world, instance, tmp_path, table, capsys):
    world.encounters()
    settings = world.settings()
    run_day(settings, instance)
    argv = ["export", str(tmp_path / "x.csv"), "--table", table, "--from", "2023-09-14", "--to", "2023-09-14"]
    assert main([*argv, "--database", str(settings.database)]) == 2
    assert "whale-assets export" in capsys.readouterr().err and not (tmp_path / "x.csv").exists()


@pytest.mark.faults
@pytest.mark.parametrize("target", ["an existing directory", "a path under a file"])
def test_export_to_a_path_it_cannot_write_fails_naming_it_without_a_traceback(
    world, instance, tmp_path, target, capsys
):
    world.encounters(export_row("lonely", "2023-09-14 10:00:00"))
    settings = world.settings()
    run_day(settings, instance)
    (tmp_path / "a_file").write_text("not a folder")
    out = tmp_path / "exports" if target == "an existing directory" else tmp_path / "a_file" / "x.csv"
    (tmp_path / "exports").mkdir()
    capsys.readouterr()

    argv = ["export", str(out), "--table", "whale_results", "--from", "2023-09-14", "--to", "2023-09-14"]
    assert main([*argv, "--format", "csv", "--database", str(settings.database)]) == 2

    err = capsys.readouterr().err
    assert err.startswith("whale-assets export: ") and str(out) in err and "Traceback" not in err
    assert list((tmp_path / "exports").iterdir()) == []
