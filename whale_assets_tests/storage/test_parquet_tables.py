"""ParquetTableStorage: one Parquet file per daily partition, locally and on an S3 server on loopback."""

from __future__ import annotations

import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import AssetIn, DailyPartitionsDefinition, asset, materialize
from dagster_aws.s3 import S3Resource

from whale_assets.storage.parquet_tables import ParquetTableStorage
from whale_assets.storage.s3 import fsspec_options
from whale_assets_tests.support.s3_server import moto_server, object_keys, use_endpoint

DAY = "2023-09-14"
partitions = DailyPartitionsDefinition(start_date="2023-09-01")


def rows(*ids: str, day: str = DAY) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series([pd.Timestamp(day)] * len(ids), dtype="datetime64[ns]"),
            "encounter_id": pd.Series(ids, dtype=object),
            "score": pd.Series([0.5] * len(ids), dtype="float64"),
            "start_utc": pd.Series([pd.Timestamp(day) + pd.Timedelta(hours=1)] * len(ids), dtype="datetime64[ns]"),
            "note": pd.Series([None] * len(ids), dtype=object),  # all-null text must stay text
        }
    )


def table_assets(frame: pd.DataFrame):
    """`sightings` writes `frame`; `reader` loads it back through the same IO manager."""
    loaded: list[pd.DataFrame] = []

    @asset(partitions_def=partitions, io_manager_key="tables", metadata={"partition_expr": "date"})
    def sightings() -> pd.DataFrame:
        return frame

    @asset(partitions_def=partitions, ins={"sightings": AssetIn(input_manager_key="tables")})
    def reader(sightings: pd.DataFrame) -> None:
        loaded.append(sightings)

    return [sightings, reader], loaded


def write_day(storage: ParquetTableStorage, frame: pd.DataFrame, day: str = DAY) -> pd.DataFrame:
    assets, loaded = table_assets(frame)
    result = materialize(assets, partition_key=day, resources={"tables": storage})
    assert result.success
    return loaded[0]


def schema_of(data: bytes) -> pa.Schema:
    return pq.read_schema(io.BytesIO(data))


# --- local ------------------------------------------------------------------------------------


def test_a_partition_is_one_file_under_date_and_reads_back_with_the_same_columns(tmp_path):
    storage = ParquetTableStorage(base_path=str(tmp_path / "tables"))
    loaded = write_day(storage, rows("a", "b"))
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == [f"tables/sightings/date={DAY}/part-0.parquet"]
    assert list(loaded.columns) == list(rows().columns)
    assert list(loaded["encounter_id"]) == ["a", "b"]
    assert (loaded["date"] == pd.Timestamp(DAY)).all()


def test_a_day_stored_before_a_column_existed_still_answers_sql_with_null_there(tmp_path):
    from whale_assets.storage.parquet_files import connect_parquet_tables, parquet_table_datasets

    storage = ParquetTableStorage(base_path=str(tmp_path / "tables"))
    write_day(storage, rows("old"), day="2023-09-13")  # written before `run_id` existed
    write_day(storage, rows("new", day=DAY).assign(run_id=pd.Series(["r1"], dtype="string")))
    with connect_parquet_tables(parquet_table_datasets(str(tmp_path / "tables"))) as connection:
        answer = connection.sql("select encounter_id, run_id from sightings order by encounter_id").fetchall()
    assert answer == [("new", "r1"), ("old", None)]


def test_column_types_are_stable_whatever_the_values(tmp_path):
    storage = ParquetTableStorage(base_path=str(tmp_path))
    write_day(storage, rows("a"))
    schema = pq.read_schema(tmp_path / "sightings" / f"date={DAY}" / "part-0.parquet")
    assert pa.types.is_timestamp(schema.field("date").type) and schema.field("date").type.unit == "us"
    assert pa.types.is_string(schema.field("note").type) or pa.types.is_large_string(schema.field("note").type)


def test_an_empty_partition_still_writes_a_zero_row_file_with_the_schema(tmp_path):
    storage = ParquetTableStorage(base_path=str(tmp_path))
    loaded = write_day(storage, rows())
    path = tmp_path / "sightings" / f"date={DAY}" / "part-0.parquet"
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert table.schema.names == list(rows().columns)
    assert pa.types.is_string(table.schema.field("encounter_id").type) or pa.types.is_large_string(
        table.schema.field("encounter_id").type
    )
    assert len(loaded) == 0 and list(loaded.columns) == list(rows().columns)


def test_rewriting_a_partition_replaces_it_and_leaves_other_days_and_no_temp_files(tmp_path):
    storage = ParquetTableStorage(base_path=str(tmp_path))
    write_day(storage, rows("a", "b"))
    write_day(storage, rows("x", day="2023-09-15"), day="2023-09-15")
    loaded = write_day(storage, rows("c"))
    assert list(loaded["encounter_id"]) == ["c"]
    assert list(write_day(storage, rows("y", day="2023-09-15"), day="2023-09-15")["encounter_id"]) == ["y"]
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["part-0.parquet"] * 2


def test_a_write_that_fails_midway_leaves_the_previous_version(tmp_path, monkeypatch):
    storage = ParquetTableStorage(base_path=str(tmp_path))
    write_day(storage, rows("old"))

    def killed_midway(table, sink, **kwargs):
        sink.write(b"PAR1 half a file")
        raise RuntimeError("killed")

    monkeypatch.setattr(pq, "write_table", killed_midway)
    assets, _ = table_assets(rows("new"))
    assert not materialize(assets, partition_key=DAY, resources={"tables": storage}, raise_on_error=False).success
    path = tmp_path / "sightings" / f"date={DAY}" / "part-0.parquet"
    assert list(pq.read_table(path).column("encounter_id").to_pylist()) == ["old"]
    assert [p.name for p in path.parent.iterdir()] == ["part-0.parquet"]


def test_loading_a_partition_that_was_never_written_says_what_to_do(tmp_path):
    storage = ParquetTableStorage(base_path=str(tmp_path))
    assets, _ = table_assets(rows())
    result = materialize(
        assets, selection=[assets[1]], partition_key=DAY, resources={"tables": storage}, raise_on_error=False
    )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "materialize sightings first" in failure.step_failure_data.error.to_string()


# --- S3 ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_server() as url:
        yield url


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    return use_endpoint(monkeypatch, s3_endpoint)


def test_on_s3_a_partition_is_one_object_replaced_on_rewrite(bucket):
    import boto3

    storage = ParquetTableStorage(base_path=f"s3://{bucket}/prefix/tables")
    write_day(storage, rows("a", "b"))
    loaded = write_day(storage, rows("c"))
    key = f"prefix/tables/sightings/date={DAY}/part-0.parquet"
    assert object_keys(bucket) == [key]
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert pq.read_table(io.BytesIO(body)).column("encounter_id").to_pylist() == ["c"]
    assert list(loaded["encounter_id"]) == ["c"]


def test_on_s3_an_empty_partition_is_a_zero_row_object_with_the_schema(bucket):
    import boto3

    write_day(ParquetTableStorage(base_path=f"s3://{bucket}/t"), rows())
    body = boto3.client("s3").get_object(Bucket=bucket, Key=f"t/sightings/date={DAY}/part-0.parquet")["Body"]
    table = pq.read_table(io.BytesIO(body.read()))
    assert table.num_rows == 0 and table.schema.names == list(rows().columns)


def test_the_s3_resource_configures_the_connection_when_the_environment_does_not(bucket, s3_endpoint, monkeypatch):
    # Dagster resolves the factory's nested S3Resource field (no postponed annotations there).
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3")
    storage = ParquetTableStorage(base_path=f"s3://{bucket}/t", s3=S3Resource(endpoint_url=s3_endpoint))
    write_day(storage, rows("a"))
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)  # for boto3 in object_keys
    assert object_keys(bucket) == [f"t/sightings/date={DAY}/part-0.parquet"]


def test_materialization_metadata_names_the_object_and_never_credentials(bucket):
    assets, _ = table_assets(rows("a"))
    storage = ParquetTableStorage(
        base_path=f"s3://{bucket}/t",
        s3=S3Resource(aws_access_key_id="testing", aws_secret_access_key="testing-secret-value"),
    )
    result = materialize(assets, partition_key=DAY, resources={"tables": storage})
    [event] = result.asset_materializations_for_node("sightings")
    metadata = {key: value.value for key, value in event.metadata.items()}
    assert metadata["path"] == f"s3://{bucket}/t/sightings/date={DAY}/part-0.parquet"
    assert metadata["dagster/table_name"] == "sightings"  # the table name, not its object
    assert not {"partition_row_count", "dagster/row_count", "storage_kind"} & set(metadata)  # the asset counts rows
    assert "testing-secret-value" not in repr(metadata)


def test_s3_resource_settings_map_onto_s3fs_options():
    assert fsspec_options(None) == {}
    options = fsspec_options(
        S3Resource(
            endpoint_url="http://127.0.0.1:9000",
            region_name="eu-west-1",
            profile_name="whales",
            use_ssl=False,
            verify=False,
            max_attempts=3,
        )
    )
    assert options == {
        "endpoint_url": "http://127.0.0.1:9000",
        "profile": "whales",
        "use_ssl": False,
        "client_kwargs": {"region_name": "eu-west-1", "verify": False},
        "config_kwargs": {"retries": {"max_attempts": 3, "mode": "standard"}},
    }
    assert fsspec_options(S3Resource(use_unsigned_session=True))["anon"] is True
