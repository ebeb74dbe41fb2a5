"""One way to write a daily asset (`assets/daily.py`): every asset's config is checked before any
work, its upstream comes from its own inputs and deps, and the asset modules import no cycle."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from dagster import AssetExecutionContext, instance_for_test, materialize

from whale_assets.assets.daily import daily_asset
from whale_assets.assets.partitions import DAILY_TABLE
from whale_assets.assets.reuse import ReusableConfig
from whale_assets.assets.run_config import ASSET_CONFIGS, register_asset_config
from whale_assets.definitions import defs
from whale_assets.resources import FingerprintStore
from whale_assets.storage.io_managers import WhaleDuckDBIOManager
from whale_assets_tests.test_layers import PACKAGE, imported_modules, module_name

DAY = "2023-09-14"


def test_every_asset_with_run_config_is_in_the_run_wide_check():
    configured = {
        node.name
        for assets_def in defs.resolve_asset_graph().assets_defs
        for node in [assets_def.op]
        if assets_def.keys and assets_def.is_executable and node.config_field is not None  # assets, not checks
    }
    assert configured and configured <= set(ASSET_CONFIGS)


def test_a_config_class_belongs_to_one_asset():
    class OnlyMine(ReusableConfig):
        pass

    register_asset_config("only_mine", OnlyMine)
    try:
        with pytest.raises(ValueError, match="another asset's"):
            register_asset_config("someone_else", OnlyMine)
    finally:
        ASSET_CONFIGS.pop("only_mine")


def import_graph() -> dict[str, set[str]]:
    """Module -> the modules of `whale_assets/assets/` it imports (at the top or inside functions)."""
    paths = sorted((PACKAGE / "assets").glob("*.py"))
    modules = {module_name(path) for path in paths}
    return {module_name(path): imported_modules(path) & modules - {module_name(path)} for path in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One import cycle per module that is part of one (depth-first search)."""
    found, done = [], set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            found.append(path[path.index(module) :] + [module])
            return
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return found


def test_the_asset_modules_import_no_cycle():
    graph = import_graph()
    assert len(graph) > 10 and "whale_assets.assets.run_config" in graph  # the folder really is read
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


class ToyConfig(ReusableConfig):
    scale: int = 1


@daily_asset(DAILY_TABLE)
def toy_upstream(context: AssetExecutionContext, config: ToyConfig, day: dt.date) -> pd.DataFrame:
    return pd.DataFrame({"date": [pd.Timestamp(day)], "n": [config.scale]})


class ToyDownstreamConfig(ReusableConfig):
    pass


CALLS: list[str] = []


@daily_asset(DAILY_TABLE)
def toy_downstream(
    context: AssetExecutionContext, config: ToyDownstreamConfig, toy_upstream: pd.DataFrame
) -> pd.DataFrame:
    CALLS.append(context.run_id)
    return toy_upstream.assign(n=toy_upstream["n"] * 2)


def run(tmp_path, instance, scale: int = 1):
    root = str(tmp_path / "store")
    resources = {
        "table_io_manager": WhaleDuckDBIOManager(
            database=str(tmp_path / "t.duckdb"), schema="main", fingerprint_root=root
        ),
        "fingerprints": FingerprintStore(root=root),
    }
    run_config = {"ops": {"toy_upstream": {"config": {"scale": scale}}}}
    result = materialize(
        [toy_upstream, toy_downstream], partition_key=DAY, resources=resources, instance=instance, run_config=run_config
    )
    return {
        e.asset_key.path[-1]: e.materialization.metadata["reused"].value
        for e in result.get_asset_materialization_events()
    }


def test_a_daily_asset_reuses_its_day_until_an_input_changes(tmp_path):
    CALLS.clear()
    with instance_for_test() as instance:
        assert run(tmp_path, instance) == {"toy_upstream": False, "toy_downstream": False}
        assert run(tmp_path, instance) == {"toy_upstream": True, "toy_downstream": True}
        # A new upstream setting changes the upstream's fingerprint, which the downstream chains on.
        assert run(tmp_path, instance, scale=3) == {"toy_upstream": False, "toy_downstream": False}
    assert len(CALLS) == 2  # the body never ran for the reused day
