import errno

import pytest

from whale_assets.settings import (
    LookbackError,
    Settings,
    SettingsError,
    lookback_days_from_env,
    prepare_data_dir,
    stale_run_hours_from_env,
)


def test_defaults_point_at_the_real_services(tmp_path):
    settings = Settings.from_env({"WHALE_DATA_DIR": str(tmp_path / "d")})
    assert settings.encounters == "happywhale"
    assert settings.audio_source == "s3://pacific-sound-16khz"
    assert settings.classifier == "humpback"
    assert settings.model == "https://tfhub.dev/google/humpback_whale/1"
    assert settings.database == tmp_path / "d" / "whale.duckdb"


def test_the_data_dir_is_made_absolute_once(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings.from_env({"WHALE_DATA_DIR": "rel"}).data_dir == tmp_path / "rel"


@pytest.mark.parametrize(
    "variable, value, listed",
    [
        ("WHALE_CLASSIFIER", "cnn", "humpback, energy"),
        ("WHALE_ENCOUNTERS", "ftp://x", "'happywhale'"),
        ("WHALE_AUDIO_SOURCE", "gs://bucket", "s3://bucket[/prefix]"),
        ("WHALE_AUDIO_SOURCE", "ftp://x", "s3://bucket[/prefix]"),
        ("WHALE_MODEL_PRECISION", "float16", "float32, bfloat16"),
    ],
)
def test_an_unknown_value_fails_naming_the_variable_and_the_valid_ones(variable, value, listed):
    with pytest.raises(SettingsError) as error:
        Settings.from_env({variable: value})
    assert variable in str(error.value) and value in str(error.value) and listed in str(error.value)


def test_the_model_precision_is_float32_unless_bfloat16_is_asked_for(tmp_path):
    assert Settings.from_env({"WHALE_DATA_DIR": str(tmp_path)}).model_precision == "float32"
    assert Settings.from_env({"WHALE_MODEL_PRECISION": ""}).model_precision == "float32"
    assert Settings.from_env({"WHALE_MODEL_PRECISION": "bfloat16"}).model_precision == "bfloat16"
    assert Settings.from_env({"WHALE_MODEL_PRECISION": "auto"}).model_precision == "auto"  # resolved at model load


def test_local_sources_are_resolved_directories(tmp_path):
    settings = Settings.from_env({"WHALE_ENCOUNTERS": str(tmp_path), "WHALE_AUDIO_SOURCE": str(tmp_path)})
    assert settings.encounters == settings.audio_source == str(tmp_path)


def test_storage_is_local_by_default_and_s3_needs_a_bucket(tmp_path):
    assert Settings.from_env({"WHALE_DATA_DIR": str(tmp_path)}).storage_root == str(tmp_path)
    with pytest.raises(SettingsError, match="WHALE_S3_BUCKET"):
        Settings.from_env({"WHALE_STORAGE": "s3"})
    s3 = Settings.from_env({"WHALE_STORAGE": "s3", "WHALE_S3_BUCKET": "b", "WHALE_S3_PREFIX": "/runs/x/"})
    assert s3.storage_root == "s3://b/runs/x"


def test_an_unknown_storage_mode_lists_the_valid_ones():
    with pytest.raises(SettingsError, match="local, s3"):
        Settings.from_env({"WHALE_STORAGE": "gcs"})


@pytest.mark.parametrize(("value", "expected"), [(None, 7), ("", 7), ("1", 1), (" 30 ", 30)])
def test_lookback_from_env(value, expected):
    env = {} if value is None else {"WHALE_SENSOR_LOOKBACK_DAYS": value}
    assert lookback_days_from_env(env) == expected


@pytest.mark.parametrize("value", ["0", "-2", "seven", "1.5"])
def test_a_bad_lookback_names_the_variable_and_the_valid_values(value):
    with pytest.raises(LookbackError, match="WHALE_SENSOR_LOOKBACK_DAYS=.*positive integer"):
        lookback_days_from_env({"WHALE_SENSOR_LOOKBACK_DAYS": value})


# Issue 14, finding 10: an unusable WHALE_DATA_DIR fails at load, saying what to do.


def test_a_data_dir_that_is_a_file_fails_naming_the_variable(tmp_path):
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(SettingsError, match=r"WHALE_DATA_DIR=.*data is a file.*directory"):
        prepare_data_dir(tmp_path / "data")


def test_a_data_dir_that_cannot_be_created_fails_naming_the_variable(tmp_path):
    (tmp_path / "file").write_text("")  # a parent that is a file stops even root
    with pytest.raises(SettingsError, match=r"WHALE_DATA_DIR=.*file/data cannot be created"):
        prepare_data_dir(tmp_path / "file" / "data")


def test_a_read_only_data_dir_fails_naming_the_variable(tmp_path, monkeypatch):
    def read_only(directory):
        raise OSError(errno.EROFS, "Read-only file system", str(directory))

    monkeypatch.setattr("whale_assets.settings._prove_writable", read_only)
    with pytest.raises(SettingsError, match=r"WHALE_DATA_DIR=.* is not writable \(Read-only file system"):
        prepare_data_dir(tmp_path)


def test_a_usable_data_dir_is_created_and_left_without_probe_files(tmp_path):
    assert prepare_data_dir(tmp_path / "new" / "data") == tmp_path / "new" / "data"
    assert list((tmp_path / "new" / "data").iterdir()) == []


def test_the_code_location_does_not_load_with_a_data_dir_that_is_a_file(tmp_path):
    from whale_assets.definitions import build_definitions

    (tmp_path / "data").write_text("")
    with pytest.raises(SettingsError, match="WHALE_DATA_DIR"):
        build_definitions(Settings.from_env({"WHALE_DATA_DIR": str(tmp_path / "data")}))


# Issue 14, finding 11: a local folder that vanished must not stop the code location from loading.


def test_local_sources_that_do_not_exist_still_load_as_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({"WHALE_ENCOUNTERS": "gone/exports", "WHALE_AUDIO_SOURCE": "gone/archive"})
    assert settings.encounters == str(tmp_path / "gone" / "exports")
    assert settings.audio_source == str(tmp_path / "gone" / "archive")


@pytest.mark.parametrize("variable", ["WHALE_ENCOUNTERS", "WHALE_AUDIO_SOURCE"])
def test_an_empty_source_is_malformed_and_fails_at_load(variable):
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env({variable: " "})


@pytest.mark.parametrize(("value", "expected"), [(None, 12.0), ("", 12.0), ("6", 6.0), (" 1.5 ", 1.5)])
def test_stale_run_hours_from_env(value, expected):
    env = {} if value is None else {"WHALE_SENSOR_STALE_RUN_HOURS": value}
    assert stale_run_hours_from_env(env) == expected


@pytest.mark.parametrize("value", ["0", "-1", "twelve", "nan", "inf"])
def test_a_bad_stale_run_limit_names_the_variable(value):
    with pytest.raises(SettingsError, match="WHALE_SENSOR_STALE_RUN_HOURS=.*positive number of hours"):
        stale_run_hours_from_env({"WHALE_SENSOR_STALE_RUN_HOURS": value})


@pytest.mark.faults
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("WHALE_READ_TIMEOUT_S", "1e9"),
        ("WHALE_READ_TIMEOUT_S", "nan"),
        ("WHALE_CONNECT_TIMEOUT_S", "86400"),
        ("WHALE_NETWORK_ATTEMPTS", "1000"),
    ],
)
def test_an_absurd_network_limit_fails_at_load_naming_the_variable_and_its_bounds(tmp_path, variable, value):
    with pytest.raises(SettingsError, match=f"{variable}='{value}' is not valid; use .* at most"):
        Settings.from_env({"WHALE_DATA_DIR": str(tmp_path), variable: value})


@pytest.mark.faults
@pytest.mark.parametrize(
    "url", ["http://minio:s3cret@127.0.0.1:9000", "https://:s3cret@s3.example.org", "http://user@h:1"]
)
def test_credentials_in_the_audio_endpoint_url_are_refused_at_load_without_echoing_them(tmp_path, url):
    with pytest.raises(SettingsError, match="WHALE_AUDIO_ENDPOINT_URL holds a user name or password") as refused:
        Settings.from_env({"WHALE_DATA_DIR": str(tmp_path), "WHALE_AUDIO_ENDPOINT_URL": url})
    assert "s3cret" not in str(refused.value) and "minio" not in str(refused.value)


def test_an_audio_endpoint_url_without_credentials_is_kept(tmp_path):
    settings = Settings.from_env({"WHALE_DATA_DIR": str(tmp_path), "WHALE_AUDIO_ENDPOINT_URL": "http://127.0.0.1:9000"})
    assert settings.audio_endpoint_url == "http://127.0.0.1:9000"
