"""WHALE_STORAGE=s3: a whole day through Dagster into an S3 server on loopback, and SQL over it.

The server is moto's ThreadedMotoServer on 127.0.0.1 (its own process, see support/s3_server.py);
boto3 and s3fs find it through AWS_ENDPOINT_URL_S3, as they would a MinIO or any other endpoint.
The world (Happywhale CSV exports, the sparse archive) stays local: only results move to S3.
"""

from __future__ import annotations

import io
import json
import tracemalloc

import boto3
import numpy as np
import pyarrow.parquet as pq
import pytest
from dagster import instance_for_test
from upath import UPath

from whale_assets.cli import main
from whale_assets.core.windows import WindowRecord
from whale_assets.settings import Settings
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, read_partition, write_partition
from whale_assets_tests.support.pipeline import DAY, build_song_day, run_day
from whale_assets_tests.support.raven_tables import assert_valid_raven_table
from whale_assets_tests.support.s3_server import moto_server, object_keys, use_endpoint
from whale_assets_tests.support.world import World

PREFIX = "runs/v1"
ARRAY_ASSETS = ("raw_audio", "sifted_audio", "classifications")
PATH_COLUMNS = ("audio_path", "classification_path", "img_path")
ONE_HOUR = 3600 * 16_000  # samples of a 1-hour 16 kHz window: 230 MB as float32


def s3_settings(world: World, bucket: str) -> Settings:
    local = world.settings()
    return Settings.from_env(
        {
            "WHALE_DATA_DIR": str(local.data_dir),
            "WHALE_ENCOUNTERS": local.encounters,
            "WHALE_AUDIO_SOURCE": local.audio_source,
            "WHALE_CLASSIFIER": local.classifier,
            "WHALE_STORAGE": "s3",
            "WHALE_S3_BUCKET": bucket,
            "WHALE_S3_PREFIX": PREFIX,
        }
    )


@pytest.fixture(scope="module")
def endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def song_day(endpoint, tmp_path_factory):
    """The song day materialized twice from the same world: locally, and into a bucket."""
    with pytest.MonkeyPatch.context() as env:
        bucket = use_endpoint(env, endpoint)
        local_world = World(tmp_path_factory.mktemp("local"))
        s3_world = World(tmp_path_factory.mktemp("s3"))
        for world in (local_world, s3_world):
            build_song_day(world)
        with instance_for_test() as instance:
            assert run_day(local_world.settings(), instance).success
            assert run_day(s3_settings(s3_world, bucket), instance).success
        yield {"bucket": bucket, "local": local_world, "s3": s3_world}


@pytest.fixture
def aws(endpoint, monkeypatch):
    """Each test's own environment and a fresh bucket on the module's server."""
    return use_endpoint(monkeypatch, endpoint)


def sql(monkeypatch, capsys, query: str, **env: str) -> tuple[int, str, str]:
    for name in ("WHALE_STORAGE", "WHALE_S3_BUCKET", "WHALE_S3_PREFIX", "WHALE_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(["sql", query, "--format", "csv"])
    out, err = capsys.readouterr()
    return code, out, err


def s3_env(bucket: str) -> dict[str, str]:
    return {"WHALE_STORAGE": "s3", "WHALE_S3_BUCKET": bucket, "WHALE_S3_PREFIX": PREFIX}


# --- layout -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_arrays_indexes_tables_and_figures_are_objects_in_the_documented_layout(song_day, aws):
    bucket = song_day["bucket"]
    keys = object_keys(bucket)
    assert keys and all(key.startswith(f"{PREFIX}/") for key in keys)
    client = boto3.client("s3")
    for asset in ARRAY_ASSETS:
        folder = f"{PREFIX}/{asset}/{DAY}/"
        index = json.loads(client.get_object(Bucket=bucket, Key=folder + "index.json")["Body"].read())
        named = {folder + window["file"] for window in index["windows"] if window["file"]}
        # Both windows have audio; only the one with song has sifted audio and scores.
        assert len(named) == (2 if asset == "raw_audio" else 1)
        assert {key for key in keys if key.startswith(folder)} == named | {folder + "index.json"}
    for table in ("encounters", "whale_results"):
        assert f"{PREFIX}/tables/{table}/date={DAY}/part-0.parquet" in keys
    # Figures are named per write (`<encounter>.<token>.png`), so a table only names figures of its own run.
    figures = sorted(key.rsplit("/", 1)[1].split(".")[0] for key in keys if key.startswith(f"{PREFIX}/images/{DAY}/"))
    assert figures == ["quiet", "sing"]


@pytest.mark.slow
def test_results_point_at_objects_that_exist(song_day, aws):
    bucket = song_day["bucket"]
    key = f"{PREFIX}/tables/whale_results/date={DAY}/part-0.parquet"
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    results = pq.read_table(io.BytesIO(body)).to_pandas()
    keys = set(object_keys(bucket))
    for column in PATH_COLUMNS:
        for url in results[column].dropna():  # a no_signal window has no scores to point at
            assert url.startswith(f"s3://{bucket}/{PREFIX}/") and url.removeprefix(f"s3://{bucket}/") in keys


@pytest.mark.slow
def test_nothing_but_the_local_sources_is_on_local_disk_in_s3_mode(song_day):
    world = song_day["s3"]
    assert {p.name for p in world.root.iterdir()} <= {"encounters", "archive", "data"}
    assert not [p for p in world.data_dir.rglob("*") if p.is_file()] if world.data_dir.exists() else True


# --- SQL --------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "query",
    [
        # run_id: the two storages were written by two runs
        "select * exclude (audio_path, classification_path, img_path, run_id) from whale_results order by start_utc",
        "select * from encounters order by encounter_id",
        "select date::date as day, count(*) as n, count(*) filter (detected) as with_song, typeof(date) as t "
        "from whale_results group by all order by 1",
        "select e.encounter_id, e.timezone, r.status from encounters e join whale_results r "
        "using (date, encounter_id) order by 1",
    ],
)
def test_sql_answers_the_same_in_s3_mode_as_in_local_mode(song_day, aws, monkeypatch, capsys, query):
    local_code, local_out, _ = sql(monkeypatch, capsys, query, WHALE_DATA_DIR=str(song_day["local"].data_dir))
    s3_code, s3_out, s3_err = sql(monkeypatch, capsys, query, **s3_env(song_day["bucket"]))
    assert (local_code, s3_code) == (0, 0), s3_err
    assert s3_out == local_out and len(s3_out.splitlines()) > 1


def test_sql_in_s3_mode_before_anything_is_materialized_says_what_to_do(aws, monkeypatch, capsys):
    code, _, err = sql(monkeypatch, capsys, "select * from whale_results", **s3_env(aws))
    assert code == 2
    assert f"no results tables under s3://{aws}/{PREFIX}/tables" in err and "materialize whale_results" in err


def test_sql_in_s3_mode_reports_an_unreachable_endpoint_clearly(aws, monkeypatch, capsys):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")  # nothing listens on the discard port
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    code, _, err = sql(monkeypatch, capsys, "select 1", **s3_env(aws))
    assert code == 2 and "cannot list" in err and "testing" not in err


# --- replacing and streaming ------------------------------------------------------------------


@pytest.mark.slow
def test_materializing_again_replaces_the_partition_without_duplicates(aws, tmp_path, monkeypatch, capsys):
    world = World(tmp_path)
    build_song_day(world)
    settings = s3_settings(world, aws)
    with instance_for_test() as instance:
        assert run_day(settings, instance).success
        assert run_day(settings, instance, sifted_audio={"threshold": 0.02}).success
    code, out, _ = sql(monkeypatch, capsys, "select encounter_id from whale_results order by 1", **s3_env(aws))
    assert code == 0 and out.split() == ["encounter_id", "quiet", "sing"]
    keys = object_keys(aws)
    assert [k for k in keys if "/tables/whale_results/" in k] == [
        f"{PREFIX}/tables/whale_results/date={DAY}/part-0.parquet"
    ]
    for asset in ARRAY_ASSETS:
        stored = read_partition(UPath(f"s3://{aws}/{PREFIX}/{asset}/{DAY}"))
        on_s3 = {k.rsplit("/", 1)[1] for k in keys if k.startswith(f"{PREFIX}/{asset}/{DAY}/")}
        assert on_s3 == {r.array.file for r in stored if r.array is not None} | {"index.json"}


def test_a_failed_array_write_aborts_its_upload_and_keeps_the_previous_partition(aws):
    directory = UPath(f"s3://{aws}/{PREFIX}/raw_audio/{DAY}")
    write_partition(
        directory, WindowArrays(iter([WindowArray(WindowRecord("w", n_samples=1), np.ones(5, np.float32))]))
    )
    before = object_keys(aws)

    def windows():
        yield WindowArray(WindowRecord("w", n_samples=2), np.zeros(1000, np.float32))
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        write_partition(directory, WindowArrays(windows()))
    stored = read_partition(directory)
    assert stored.record("w").n_samples == 1
    np.testing.assert_array_equal(stored.load("w"), np.ones(5, np.float32))
    # The fully written array of the failed run is an unreferenced object, removed by the next write.
    assert set(before) <= set(object_keys(aws))
    write_partition(
        directory, WindowArrays(iter([WindowArray(WindowRecord("w", n_samples=3), np.ones(2, np.float32))]))
    )
    assert len(object_keys(aws, f"{PREFIX}/raw_audio/")) == 2
    uploads = boto3.client("s3").list_multipart_uploads(Bucket=aws).get("Uploads", [])
    assert uploads == []


def test_an_interrupted_streamed_upload_leaves_no_object(aws):
    from whale_assets.storage.files import streamed_object

    path = UPath(f"s3://{aws}/{PREFIX}/raw_audio/{DAY}/partial.npy")
    with pytest.raises(KeyboardInterrupt):
        with streamed_object(path, block_size=5 * 2**20) as stream:
            stream.write(b"\0" * (12 * 2**20))  # two parts uploaded, then the run is interrupted
            raise KeyboardInterrupt
    assert object_keys(aws) == []
    assert boto3.client("s3").list_multipart_uploads(Bucket=aws).get("Uploads", []) == []


@pytest.mark.slow
def test_a_one_hour_window_is_streamed_up_and_read_back_into_a_single_array(aws):
    audio = np.random.default_rng(0).standard_normal(ONE_HOUR, dtype=np.float32)
    directory = UPath(f"s3://{aws}/{PREFIX}/raw_audio/{DAY}")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        write_partition(directory, WindowArrays(iter([WindowArray(WindowRecord("hour"), audio)])))
        write_extra = tracemalloc.get_traced_memory()[1] - baseline

        stored = read_partition(directory)
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        loaded = stored.load("hour")
        read_extra = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(loaded, audio)
    # Writing holds a few multipart parts (16 MiB each), never a second copy of the 230 MB.
    assert write_extra < audio.nbytes / 2, write_extra
    # Reading holds the one result array plus a chunk or two, not the body again as bytes.
    assert read_extra < audio.nbytes + 64 * 2**20, read_extra


def test_export_writes_the_same_file_in_s3_mode_as_in_local_mode(song_day, aws, monkeypatch, capsys, tmp_path):
    def export(out, **env: str) -> int:
        for name in ("WHALE_STORAGE", "WHALE_S3_BUCKET", "WHALE_S3_PREFIX", "WHALE_DATA_DIR"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return main(["export", str(out), "--table", "whale_results", "--from", DAY, "--to", DAY, "--format", "csv"])

    assert export(tmp_path / "local.csv", WHALE_DATA_DIR=str(song_day["local"].data_dir)) == 0
    assert export(tmp_path / "s3.csv", **s3_env(song_day["bucket"])) == 0, capsys.readouterr().err
    import pandas as pd

    differ = [*PATH_COLUMNS, "run_id"]
    local, remote = (pd.read_csv(tmp_path / name).drop(columns=differ) for name in ("local.csv", "s3.csv"))
    # The path columns differ (local files vs s3:// objects), and so do the two runs' ids; every other
    # column is the same.
    assert len(local) > 0
    pd.testing.assert_frame_equal(local, remote)


def test_deliverables_are_objects_next_to_the_results_in_s3_mode(song_day, aws, tmp_path):
    from dagster import materialize

    from whale_assets.assets import ALL_ASSETS
    from whale_assets.definitions import build_resources

    bucket = song_day["bucket"]
    settings = s3_settings(song_day["s3"], bucket)
    with instance_for_test() as instance:
        for clip_s in (20.0, 10.0):
            assert materialize(
                ALL_ASSETS,
                selection=["raven_selections", "encounter_clips"],
                partition_key=DAY,
                resources=build_resources(settings),
                instance=instance,
                run_config={"ops": {"encounter_clips": {"config": {"clip_s": clip_s}}}},
            ).success
    keys = set(object_keys(bucket, f"{PREFIX}/"))
    raven_key = f"{PREFIX}/raven/{DAY}/MARS-20230914T000000Z-16kHz.Table.1.selections.txt"
    assert raven_key in keys
    downloaded = tmp_path / raven_key.rsplit("/", 1)[-1]
    downloaded.write_bytes(boto3.client("s3").get_object(Bucket=bucket, Key=raven_key)["Body"].read())
    assert len(assert_valid_raven_table(downloaded)) >= 1
    clips = sorted(key for key in keys if key.startswith(f"{PREFIX}/clips/{DAY}/"))
    # One clip per encounter with audio (sing, quiet); the 20 s clips of the first run are gone.
    # an archival clip and its listening copy per window
    assert len(clips) == 4 and all(key.endswith(".flac") for key in clips)
    assert sum(key.endswith(".listen.flac") for key in clips) == 2
    for table in ("raven_selections", "encounter_clips"):
        assert f"{PREFIX}/tables/{table}/date={DAY}/part-0.parquet" in keys
    assert not any((settings.data_dir / folder).exists() for folder in ("raven", "clips", "reports"))
