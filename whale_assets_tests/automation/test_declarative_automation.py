"""Re-materializing a stored day brings its deliverables up to date through automation conditions alone."""

from __future__ import annotations

from dagster import AssetKey, DefaultSensorStatus, evaluate_automation_conditions

from whale_assets.automation import AUTOMATION_SENSOR_NAME
from whale_assets.definitions import build_definitions
from whale_assets_tests.support.pipeline import DAY, run_day
from whale_assets_tests.support.world import export_row


def build_day(world):
    world.encounters(export_row("sing", f"{DAY} 16:00:00", f"{DAY} 16:02:00"))
    world.audio(f"{DAY} 15:55:00", 12 * 60, song_at_s=(5 * 60 + 30, 6 * 60 + 30))
    world.write_archive()


def requested(result, asset: str) -> set[str]:
    return set(result.get_requested_partitions(AssetKey(asset)))


def test_a_rematerialized_whale_results_day_gets_its_deliverables_requested_without_a_manual_run(world, instance):
    build_day(world)
    settings = world.settings()
    defs = build_definitions(settings)
    # What the automation sensor evaluates on every tick, with no one starting it: it runs by default.
    sensor = defs.get_repository_def().get_sensor_def(AUTOMATION_SENSOR_NAME)
    assert sensor.default_status == DefaultSensorStatus.RUNNING

    def evaluate(cursor=None):
        return evaluate_automation_conditions(
            defs=defs, instance=instance, asset_selection=sensor.asset_selection, cursor=cursor
        )

    run_day(settings, instance)  # the stored day

    # The sensor's first evaluation looks at what is stored and redoes none of it.
    started = evaluate()
    assert started.total_requested == 0

    # whale_results (and the classifications under it) of the stored day materialized again.
    rerun = run_day(settings, instance)
    assert [e.partition for e in rerun.asset_materializations_for_node("whale_results")] == [DAY]
    after_rerun = evaluate(started.cursor)

    assert requested(after_rerun, "raven_selections") == {DAY}
    assert requested(after_rerun, "encounter_clips") == {DAY}
    # No full-day scores for the day: nothing of that branch is requested.
    assert requested(after_rerun, "hourly_presence") == set()
    assert requested(after_rerun, "diel_presence") == set()

    # Requested once: the next evaluation, with nothing new upstream, asks for nothing more.
    settled = evaluate(after_rerun.cursor)
    assert settled.total_requested == 0
