"""Skip-if-exists: a stored partition with the same fingerprint is reused, untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import responses
from dagster import AssetKey, instance_for_test

from whale_assets_tests.support.happywhale_api import PYPI, hit, serve_hits
from whale_assets_tests.support.pipeline import DAY, query, reused_flags, run_day
from whale_assets_tests.support.world import export_row

PIPELINE = ["encounters", "raw_audio", "sifted_audio", "classifications", "whale_results"]


def build_day(world):
    world.encounters(
        export_row("sing", "2023-09-14 16:00:00", "2023-09-14 16:02:00"), export_row("b", "2023-09-14 20:00:00")
    )
    world.audio("2023-09-14 15:55:00", 12 * 60, song_at_s=(5 * 60 + 30, 6 * 60 + 30))
    world.audio("2023-09-14 19:55:00", 12 * 60, seed=2)
    world.write_archive()


def snapshot(directory: Path) -> dict[str, tuple[int, str]]:
    return {
        str(path.relative_to(directory)): (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.mark.slow
def test_a_rerun_reuses_every_asset_without_sources_or_model_and_leaves_files_untouched(
    world, instance, humpback_savedmodel_dir, tmp_path
):
    build_day(world)
    model = tmp_path / "model"
    shutil.copytree(humpback_savedmodel_dir, model)
    settings = world.settings(classifier="humpback", model=str(model), encounters="happywhale")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.get(PYPI, json={"info": {"version": "0.0.3"}})
        serve_hits(api, [hit(1, 5.0, "2023-09-14", "09:00:00", "-07:00", "09:02:00")])
        first = run_day(settings, instance)
    assert reused_flags(first) == dict.fromkeys(PIPELINE, False)
    before = snapshot(settings.data_dir)
    rows = query(settings, "select * from whale_results order by encounter_id")
    assert list(rows["status"]) == ["ok"]

    # Nothing outside is reachable any more: Happywhale refuses every request, the archive
    # and the model directory are gone.
    world.archive_dir.rename(world.archive_dir.with_name("archive-gone"))
    model.rename(model.with_name("model-gone"))
    with responses.RequestsMock(assert_all_requests_are_fired=False) as unreachable:
        second = run_day(settings, instance)
        assert len(unreachable.calls) == 0

    assert second.success
    assert reused_flags(second) == dict.fromkeys(PIPELINE, True)
    assert snapshot(settings.data_dir) == before
    assert query(settings, "select * from whale_results order by encounter_id").equals(rows)


@pytest.mark.slow
def test_a_changed_parameter_recomputes_exactly_the_assets_downstream_of_it(world, instance):
    build_day(world)
    settings = world.settings()
    run_day(settings, instance)
    changed = run_day(settings, instance, sifted_audio={"lowcut_hz": 80.0})
    assert reused_flags(changed) == {
        "encounters": True,
        "raw_audio": True,
        "sifted_audio": False,
        "classifications": False,
        "whale_results": False,
    }
    again = run_day(settings, instance, sifted_audio={"lowcut_hz": 80.0})
    assert all(reused_flags(again).values())


@pytest.mark.slow
def test_force_recomputes_and_replaces_one_asset(world, instance):
    build_day(world)
    settings = world.settings()
    run_day(settings, instance)
    index = settings.data_dir / "raw_audio" / DAY / "index.json"
    first_index = index.read_bytes()
    forced = run_day(settings, instance, raw_audio={"force": True})
    flags = reused_flags(forced)
    assert flags["raw_audio"] is False and flags["encounters"] is True
    assert index.read_bytes() != first_index  # new array files, atomically swapped in
    # Same inputs give the same fingerprint, so the arrays downstream are reused; whale_results is
    # recomputed only because its rows named the replaced raw_audio files.
    assert flags["sifted_audio"] is True and flags["classifications"] is True
    assert flags["whale_results"] is False


@pytest.mark.slow
def test_a_fresh_dagster_instance_pointed_at_existing_storage_reuses_it(world, instance):
    build_day(world)
    settings = world.settings()
    run_day(settings, instance)
    with instance_for_test() as fresh:
        assert fresh.get_latest_materialization_event(AssetKey("whale_results")) is None
        assert all(reused_flags(run_day(settings, fresh)).values())


@pytest.mark.slow
def test_changed_encounter_exports_recompute_from_the_start(world, instance):
    build_day(world)
    settings = world.settings()
    run_day(settings, instance)
    world.encounters(export_row("sing", "2023-09-14 16:00:00", "2023-09-14 16:02:00"))
    flags = reused_flags(run_day(settings, instance))
    assert flags == dict.fromkeys(PIPELINE, False)
    assert list(query(settings, "select encounter_id from whale_results")["encounter_id"]) == ["sing"]


@pytest.mark.slow
def test_in_s3_mode_a_rerun_reuses_everything_and_leaves_every_object_untouched(world, monkeypatch):
    import boto3

    from whale_assets.settings import Settings
    from whale_assets_tests.support.s3_server import moto_server, use_endpoint

    build_day(world)
    with moto_server() as endpoint:
        bucket = use_endpoint(monkeypatch, endpoint)
        local = world.settings()
        settings = Settings.from_env(
            {
                "WHALE_DATA_DIR": str(local.data_dir),
                "WHALE_ENCOUNTERS": local.encounters,
                "WHALE_AUDIO_SOURCE": local.audio_source,
                "WHALE_CLASSIFIER": "energy",
                "WHALE_STORAGE": "s3",
                "WHALE_S3_BUCKET": bucket,
                "WHALE_S3_PREFIX": "reuse",
            }
        )

        def objects() -> dict[str, tuple[str, object]]:
            listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="reuse/")
            return {o["Key"]: (o["ETag"], o["LastModified"]) for o in listing.get("Contents", [])}

        with instance_for_test() as first_instance:
            assert reused_flags(run_day(settings, first_instance)) == dict.fromkeys(PIPELINE, False)
        before = objects()
        assert any(key.startswith("reuse/_fingerprints/whale_results/") for key in before)
        world.archive_dir.rename(world.archive_dir.with_name("archive-gone"))
        with instance_for_test() as fresh_instance:
            assert reused_flags(run_day(settings, fresh_instance)) == dict.fromkeys(PIPELINE, True)
        assert objects() == before


@pytest.mark.slow
def test_a_day_whose_audio_was_missing_is_not_reused_once_the_audio_appears(world, instance):
    world.encounters(export_row("late-audio", "2023-09-14 16:00:00", "2023-09-14 16:02:00"))
    settings = world.settings()
    first = run_day(settings, instance)
    assert query(settings, "select status from whale_results")["status"].tolist() == ["no_audio"]
    assert reused_flags(first)["raw_audio"] is False

    world.audio("2023-09-14 15:55:00", 12 * 60, song_at_s=(5 * 60 + 30, 6 * 60 + 30))
    world.write_archive()
    flags = reused_flags(run_day(settings, instance))
    assert flags["encounters"] is True and flags["raw_audio"] is False and flags["whale_results"] is False
    assert query(settings, "select status from whale_results")["status"].tolist() == ["ok"]
    assert all(reused_flags(run_day(settings, instance)).values())  # complete now: reused from here on


@pytest.mark.slow
def test_everything_built_on_an_incomplete_partition_is_recomputed_until_it_is_complete(world, instance):
    # The first encounter has audio; the second's window runs into the next day, whose file is
    # not in the archive yet: raw_audio is incomplete.
    world.encounters(export_row("heard", "2023-09-14 16:00:00"), export_row("unheard", "2023-09-14 23:59:30"))
    world.audio("2023-09-14 15:55:00", 12 * 60, song_at_s=(5 * 60, 6 * 60))
    world.write_archive()
    settings = world.settings()
    run_day(settings, instance)
    flags = reused_flags(run_day(settings, instance))
    assert flags["encounters"] is True
    assert not any(flags[name] for name in PIPELINE[1:]), flags
    statuses = query(settings, "select encounter_id, status from whale_results order by 1")
    assert statuses.values.tolist() == [["heard", "ok"], ["unheard", "no_audio"]]


@pytest.mark.slow
def test_a_forced_refetch_that_finds_late_encounters_recomputes_downstream(world, instance):
    build_day(world)
    settings = world.settings(encounters="happywhale")
    early = hit(1, 5.0, "2023-09-14", "09:00:00", "-07:00", "09:02:00")
    late = hit(2, 6.0, "2023-09-14", "13:00:00", "-07:00", "13:01:00")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        api.get(PYPI, json={"info": {"version": "0.0.3"}})
        serve_hits(api, [early])
        run_day(settings, instance)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as api:
        serve_hits(api, [early, late])  # Happywhale now knows of a second encounter that day
        flags = reused_flags(run_day(settings, instance, encounters={"force": True}))
    assert flags == dict.fromkeys(PIPELINE, False)
    assert sorted(query(settings, "select encounter_id from whale_results")["encounter_id"]) == ["1", "2"]
