"""`whale-assets sql` reads the results tables and nothing else: no files, extensions or databases."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from whale_assets.cli import main
from whale_assets.results_sql import ResultsUnavailable, run_query
from whale_assets.storage.layout import parquet_partition_path, tables_url
from whale_assets.storage.parquet_files import write_parquet
from whale_assets.storage.s3 import filesystem
from whale_assets_tests.support.s3_server import moto_server, use_endpoint

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

RESULTS = pd.DataFrame(
    {"date": pd.Timestamp("2023-09-14"), "encounter_id": ["a", "b"], "status": ["ok", "no_audio"]}
).astype({"date": "datetime64[us]"})


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture(params=["local", "s3"])
def results_env(request, tmp_path, monkeypatch) -> dict[str, str]:
    """The storage variables of a results store in each mode, holding the RESULTS table."""
    if request.param == "local":
        with duckdb.connect(str(tmp_path / "whale.duckdb")) as connection:
            connection.execute("create table whale_results as select * from RESULTS")
        return {"WHALE_DATA_DIR": str(tmp_path)}
    bucket = use_endpoint(monkeypatch, request.getfixturevalue("endpoint"))
    env = {"WHALE_STORAGE": "s3", "WHALE_S3_BUCKET": bucket, "WHALE_S3_PREFIX": "runs"}
    fs, root = filesystem(tables_url(f"s3://{bucket}/runs"))
    write_parquet(fs, parquet_partition_path(root, "whale_results", "2023-09-14"), RESULTS)
    return env


def test_normal_queries_still_answer(results_env):
    answer = run_query("select encounter_id, status from whale_results order by 1", env=results_env)
    assert answer.values.tolist() == [["a", "ok"], ["b", "no_audio"]]


@pytest.mark.parametrize(
    "query",
    [
        "copy (select 1) to '{tmp}/written.csv'",
        "copy whale_results to '{tmp}/written.parquet' (format parquet)",
        "select * from read_csv('/etc/passwd')",
        "select * from read_text('/etc/hostname')",
        "install httpfs",
        "load httpfs",
        "attach '{tmp}/other.duckdb' as other",
        "export database '{tmp}/exported'",
        "set enable_external_access = true",
    ],
)
def test_file_extension_and_database_access_is_refused_clearly(results_env, tmp_path, query):
    with pytest.raises(ResultsUnavailable, match="only the results tables") as refused:
        run_query(query.format(tmp=tmp_path), env=results_env)
    assert "query failed" in str(refused.value)
    assert not any(tmp_path.glob("written*")) and not (tmp_path / "other.duckdb").exists()
    assert not (tmp_path / "exported").exists()


def test_the_cli_refuses_a_copy_with_exit_code_2(results_env, tmp_path, monkeypatch, capsys):
    for name in ("WHALE_STORAGE", "WHALE_S3_BUCKET", "WHALE_S3_PREFIX", "WHALE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in results_env.items():
        monkeypatch.setenv(name, value)
    assert main(["sql", f"copy (select 1) to '{tmp_path}/x.csv'"]) == 2
    assert "only the results tables" in capsys.readouterr().err
    assert not (tmp_path / "x.csv").exists()
