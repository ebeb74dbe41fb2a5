"""The how-to page "Add a derived daily asset" shows code that works: its two files are loaded as the
modules they name, and the asset is materialized after `encounters`, then reused."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest
from dagster import materialize

from whale_assets.assets import encounters, run_config
from whale_assets.assets.run_config import InvalidRunConfig
from whale_assets.definitions import build_resources
from whale_assets_tests.support.world import World, export_row

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "add-a-derived-asset.md"
DAY = "2023-09-14"
# "in `whale_assets/.../name.py`:" and the python block after it.
FILE_BLOCK = re.compile(r"`(whale_assets/[\w/]+)\.py`:\s*```python\n(.*?)```", re.DOTALL)


@pytest.fixture
def page_modules(monkeypatch) -> dict[str, types.ModuleType]:
    """The page's files, executed in order as the modules their paths name."""
    monkeypatch.setattr(run_config, "ASSET_CONFIGS", dict(run_config.ASSET_CONFIGS))  # registered for this test only
    loaded = {}
    for path, code in FILE_BLOCK.findall(PAGE.read_text()):
        name = path.replace("/", ".")
        module = types.ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        exec(compile(code, f"{PAGE.name}:{path}", "exec"), module.__dict__)  # noqa: S102 - the page's own code
        loaded[name] = module
    return loaded


def test_the_page_shows_a_core_function_and_an_asset(page_modules):
    assert set(page_modules) == {"whale_assets.core.tables.encounter_hours", "whale_assets.assets.encounter_hours"}
    asset_module = page_modules["whale_assets.assets.encounter_hours"]
    with pytest.raises(InvalidRunConfig, match="encounter_hours.busy_from"):
        asset_module.EncounterHoursConfig(busy_from=0)


def test_the_pages_asset_is_materialized_after_encounters_and_then_reused(page_modules, world: World, instance):
    encounter_hours = page_modules["whale_assets.assets.encounter_hours"].encounter_hours
    world.encounters(
        export_row("a", f"{DAY} 10:05:00"), export_row("b", f"{DAY} 10:40:00"), export_row("c", f"{DAY} 13:00:00")
    )
    resources = build_resources(world.settings())
    runs = [
        materialize([encounters, encounter_hours], partition_key=DAY, resources=resources, instance=instance)
        for _ in range(2)
    ]
    first, second = (run.asset_materializations_for_node("encounter_hours")[0].metadata for run in runs)
    assert first["busy_hours"].value == 1 and first["reused"].value is False
    assert second["reused"].value is True
