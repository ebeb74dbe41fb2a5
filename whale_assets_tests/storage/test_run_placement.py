"""Local storage under a run launcher that places runs on other machines fails at run start, clearly."""

from __future__ import annotations

import pytest
from dagster import DagsterInstance, instance_for_test
from dagster._core.launcher import RunLauncher
from dagster._serdes import ConfigurableClass, ConfigurableClassData

from whale_assets.settings import Settings, SettingsError
from whale_assets.storage.run_placement import check_local_storage_reaches_runs, run_launcher_name
from whale_assets_tests.support.pipeline import run_day_result
from whale_assets_tests.support.world import World, export_row


class OtherMachinesLauncher(RunLauncher, ConfigurableClass):
    """Stands for K8sRunLauncher, EcsRunLauncher, DockerRunLauncher: runs go elsewhere (never launched here)."""

    def __init__(self, inst_data: ConfigurableClassData | None = None):
        self._inst_data = inst_data

    @property
    def inst_data(self) -> ConfigurableClassData | None:
        return self._inst_data

    @classmethod
    def config_type(cls) -> dict:
        return {}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: dict) -> OtherMachinesLauncher:
        return cls(inst_data=inst_data)

    def launch_run(self, context) -> None:
        raise NotImplementedError("the tests run in process")

    def terminate(self, run_id: str) -> bool:
        return False


OTHER_MACHINES = {"run_launcher": {"module": __name__, "class": OtherMachinesLauncher.__name__}}


@pytest.fixture
def remote_instance(tmp_path) -> DagsterInstance:
    with instance_for_test(overrides=OTHER_MACHINES, temp_dir=str(tmp_path)) as instance:
        yield instance


@pytest.fixture
def world(tmp_path) -> World:
    world = World(tmp_path / "world")
    world.encounters(export_row("e1", "2023-09-14 16:00:00"))  # no day file: a cheap no_audio day
    return world


def test_local_storage_under_another_launcher_fails_at_run_start_naming_what_to_do(world, remote_instance):
    result = run_day_result(world.settings(), remote_instance)

    assert not result.success
    kinds = [e.event_type_value for e in result.all_events]
    assert "STEP_START" not in kinds  # the run fails while its resources start: nothing fetched or stored
    [failure] = [e for e in result.all_events if e.event_type_value == "RESOURCE_INIT_FAILURE"]
    message = str(failure.event_specific_data.error)
    for named in ("OtherMachinesLauncher", "WHALE_STORAGE=s3", "WHALE_S3_BUCKET", "WHALE_SHARED_LOCAL_STORAGE=1"):
        assert named in message
    assert not (world.data_dir / "whale.duckdb").exists()


def test_a_declared_shared_volume_lets_local_storage_run_under_another_launcher(world, remote_instance, tmp_path):
    settings = Settings.from_env(
        {
            "WHALE_DATA_DIR": str(world.data_dir),
            "WHALE_ENCOUNTERS": str(world.encounters_dir),
            "WHALE_AUDIO_SOURCE": str(world.archive_dir),
            "WHALE_CLASSIFIER": "energy",
            "WHALE_SHARED_LOCAL_STORAGE": "1",
        }
    )
    (world.archive_dir).mkdir(parents=True, exist_ok=True)

    assert run_day_result(settings, remote_instance).success


def test_the_default_launcher_and_in_memory_instances_run_on_this_machine(tmp_path):
    with instance_for_test(temp_dir=str(tmp_path)) as persistent:
        assert run_launcher_name(persistent) == "DefaultRunLauncher"
        check_local_storage_reaches_runs(persistent, shared_volume=False)
    ephemeral = DagsterInstance.ephemeral()
    assert run_launcher_name(ephemeral) == "SyncInMemoryRunLauncher"
    check_local_storage_reaches_runs(ephemeral, shared_volume=False)


def test_the_launcher_is_named_from_the_instance_config_without_building_it(remote_instance):
    assert run_launcher_name(remote_instance) == "OtherMachinesLauncher"
    assert remote_instance._run_launcher is None  # noqa: SLF001 - still not built


@pytest.mark.parametrize("value", ["yes", "true", "2"])
def test_a_shared_storage_flag_other_than_0_or_1_fails_naming_the_variable(value):
    with pytest.raises(SettingsError, match=r"WHALE_SHARED_LOCAL_STORAGE=.*0, 1"):
        Settings.from_env({"WHALE_SHARED_LOCAL_STORAGE": value})
