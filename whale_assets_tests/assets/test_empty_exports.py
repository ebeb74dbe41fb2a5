"""Finding 3 (issue 14): an empty or header-only export must not silently empty a stored day.

Only a source that really says "no encounters" gives a day of 0 rows and a green run: the live
search's empty answer, Happywhale's own no-hits file, or exports whose rows are all elsewhere.
"""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity, materialize

from whale_assets.assets import encounters
from whale_assets.assets.checks import encounters_source_readable
from whale_assets.core.encounters.table import EXPORT_COLUMNS
from whale_assets.definitions import build_resources
from whale_assets_tests.support.pipeline import DAY, query
from whale_assets_tests.support.world import World, export_row

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def materialize_encounters(world: World, instance, *checks):
    return materialize(
        [encounters, *checks],
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        raise_on_error=False,
    )


def store_two_encounters(world: World, instance) -> None:
    world.encounters(export_row("a", f"{DAY} 10:00:00"), export_row("b", f"{DAY} 11:00:00"))
    assert materialize_encounters(world, instance).success
    assert len(query(world.settings(), "select * from encounters")) == 2


def failure_text(result) -> str:
    [failure] = [event for event in result.all_events if event.event_type_value == "STEP_FAILURE"]
    return str(failure.event_specific_data.error)


@pytest.mark.parametrize(
    ("content", "problem"),
    [("", "empty file (0 bytes)"), (",".join(EXPORT_COLUMNS) + "\n", "header only, no rows")],
    ids=["zero bytes", "header only"],
)
def test_an_empty_export_fails_the_run_naming_it_and_the_stored_day_stays(world: World, instance, content, problem):
    store_two_encounters(world, instance)
    (world.encounters_dir / "export.csv").write_text(content)  # a truncated copy or re-export
    result = materialize_encounters(world, instance)
    assert not result.success
    text = failure_text(result)
    assert "export.csv" in text and problem in text
    assert len(query(world.settings(), "select * from encounters")) == 2  # not replaced by 0 rows


def test_an_empty_export_folder_fails_the_run(world: World, instance):
    store_two_encounters(world, instance)
    (world.encounters_dir / "export.csv").unlink()  # e.g. an unmounted share: an empty mount point
    result = materialize_encounters(world, instance)
    assert not result.success
    assert "no Happywhale export files" in failure_text(result)
    assert len(query(world.settings(), "select * from encounters")) == 2


def test_a_header_only_export_beside_good_ones_is_listed_and_the_check_warns(world: World, instance):
    world.encounters(export_row("a", f"{DAY} 10:00:00"))
    (world.encounters_dir / "late.csv").write_text(",".join(EXPORT_COLUMNS) + "\n")
    (world.encounters_dir / "later.csv").write_text("")
    result = materialize_encounters(world, instance, encounters_source_readable)
    assert result.success  # the good export's rows are written ...
    assert len(query(world.settings(), "select * from encounters")) == 1
    [materialization] = result.asset_materializations_for_node("encounters")
    metadata = {key: value.value for key, value in materialization.metadata.items()}
    assert metadata["empty_exports"] == 2  # ... and the problems are recorded
    assert metadata["export_problems"] == [
        {"file": "late.csv", "problem": "header only, no rows"},
        {"file": "later.csv", "problem": "empty file (0 bytes)"},
    ]
    [check] = result.get_asset_check_evaluations()
    assert (check.passed, check.severity) == (False, AssetCheckSeverity.WARN)
    assert "late.csv" in check.description and "later.csv" in check.description


def test_exports_whose_rows_are_all_elsewhere_give_an_empty_day_and_a_passing_check(world: World, instance):
    store_two_encounters(world, instance)
    world.encounters(
        export_row("tomorrow", "2023-09-15 10:00:00"), export_row("blue", f"{DAY} 10:00:00", species="blue_whale")
    )
    result = materialize_encounters(world, instance, encounters_source_readable)
    assert result.success
    assert len(query(world.settings(), "select * from encounters")) == 0  # the source says: none that day
    [check] = result.get_asset_check_evaluations()
    assert check.passed


def test_happywhales_own_no_hits_file_is_an_empty_day_not_a_problem(world: World, instance):
    world.encounters_dir.mkdir(parents=True)
    (world.encounters_dir / "search.csv").write_text("\n")  # what geometry_search writes for no hits
    result = materialize_encounters(world, instance, encounters_source_readable)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
