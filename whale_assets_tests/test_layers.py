"""The layers hold: every top-level module of `whale_assets` imports only the modules its stated
rule allows, and those rules form layers (no cycle); core and the I/O rules never import Dagster.

Every import statement is read from the source (`ast`), including imports inside functions and
`TYPE_CHECKING` blocks, so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import whale_assets

PACKAGE = Path(whale_assets.__file__).parent

# What each top-level module (or package) of whale_assets may import from whale_assets, lowest
# layer first, and why. The package root (`whale_assets.__version__`) is open to every module.
ALLOWED_IMPORTS: dict[str, tuple[frozenset[str], str]] = {
    "core": (frozenset(), "pure signal, time and table logic: nothing else of the package"),
    "io_rules": (
        frozenset({"core"}),
        "which I/O failures are transient and how long a request may take: shared by sources and storage",
    ),
    "sources": (
        frozenset({"core", "io_rules"}),
        "the archive, Happywhale and the classifiers, read into core's types; never the stores",
    ),
    "storage": (
        frozenset({"core", "io_rules"}),
        "files, tables and IO managers: stores results whatever source made them, so never imports sources",
    ),
    "environment": (frozenset(), "the catalogue of WHALE_* variables: plain data the docs and tests read"),
    "deploy_tags": (frozenset(), "run sizes as launcher tags: plain data the jobs attach"),
    "run_launcher": (frozenset(), "Dagster's local run launcher plus worker health: loaded by dagster.yaml"),
    "settings": (
        frozenset({"core", "io_rules", "sources"}),
        "deployment settings read once: the sources' own defaults and limits, no store or Dagster object",
    ),
    "results_sql": (frozenset({"settings", "storage"}), "read-only SQL over the stored tables, no pipeline"),
    "results_export": (frozenset({"results_sql", "storage"}), "a file of query results: through results_sql"),
    "review_sample": (
        frozenset({"core", "results_export", "results_sql", "sources", "storage"}),
        "a review table from stored selections: core sampling over results_sql, written like an export,"
        " with clips read from the audio archive",
    ),
    "resources": (
        frozenset({"core", "io_rules", "settings", "sources", "storage"}),
        "Dagster resources wrapping the sources and stores the settings select",
    ),
    "assets": (
        frozenset({"core", "io_rules", "resources", "sources", "storage"}),
        "the assets: core functions over sources and stores, reached through resources",
    ),
    "jobs": (frozenset({"assets", "deploy_tags"}), "jobs select assets and carry the launcher's tags"),
    "automation": (
        frozenset({"assets", "core", "jobs", "resources", "settings", "storage"}),
        "sensors and schedules: start jobs over the assets' partitions",
    ),
    "deploy_init": (frozenset({"assets"}), "`deploy-init`: the pools the assets declare, set in the instance"),
    "definitions": (
        frozenset({"assets", "automation", "jobs", "resources", "settings", "storage"}),
        "the code location: assembles everything Dagster loads",
    ),
    "defs": (frozenset(), "where `dg scaffold defs` puts definitions: nothing yet"),
    "demo": (
        frozenset({"core", "results_sql", "settings", "storage"}),
        "a synthetic archive and a real `dagster` run of it, reported through results_sql (stored files"
        " named by the storage layout)",
    ),
    "run_wait": (frozenset(), "`wait-runs`: waits on the instance's runs, plain Dagster instance queries"),
    "cli": (
        frozenset(
            {"demo", "deploy_init", "results_export", "results_sql", "review_sample", "run_wait", "settings", "sources"}
        ),
        "`whale-assets`: each subcommand is one of the modules below it (review-sample opens the archive"
        " the settings name)",
    ),
}
ROOT = "whale_assets"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports resolved, `from x import y` also as `x.y`."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, node.module] if node.module else anchor)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def top_level_modules() -> set[str]:
    """Every module and package directly under whale_assets/ (the package root aside)."""
    packages = {path.parent.name for path in PACKAGE.glob("*/__init__.py")}
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.name != "__init__.py"}
    return packages | modules


def files_of(top: str) -> list[Path]:
    return sorted((PACKAGE / top).rglob("*.py")) if (PACKAGE / top).is_dir() else [PACKAGE / f"{top}.py"]


def imported_tops(top: str) -> dict[str, set[str]]:
    """The other top-level modules `top`'s files import: {imported top: the importing modules}."""
    found: dict[str, set[str]] = {}
    for path in files_of(top):
        for imported in imported_modules(path):
            parts = imported.split(".")
            if parts[0] != ROOT or len(parts) < 2:
                continue
            target = parts[1] if parts[1] in top_level_modules() else ROOT  # a name of the package root
            if target != top:
                found.setdefault(target, set()).add(module_name(path))
    return found


def test_every_top_level_module_has_a_stated_rule():
    assert not top_level_modules() ^ set(ALLOWED_IMPORTS), "a module without a rule, or a rule without its module"


@pytest.mark.parametrize("top", sorted(ALLOWED_IMPORTS))
def test_a_module_imports_only_what_its_rule_allows(top):
    allowed, _why = ALLOWED_IMPORTS[top]
    assert files_of(top) and all(path.exists() for path in files_of(top))
    beyond = {
        f"{importer} imports whale_assets.{target}"
        for target, importers in imported_tops(top).items()
        if target not in allowed | {ROOT}
        for importer in importers
    }
    assert not beyond, f"{top} may import only {sorted(allowed)} ({_why})"


def test_the_rules_form_layers_without_a_cycle():
    graph = {top: allowed for top, (allowed, _why) in ALLOWED_IMPORTS.items()}
    assert set().union(*graph.values()) <= set(graph)  # every rule names modules that exist
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as cycle:
        pytest.fail(f"the allowed imports form a cycle: {cycle.args[1]}")


def test_storage_imports_nothing_from_sources():
    assert "sources" not in imported_tops("storage")


def test_the_moved_io_rules_stay_importable_from_sources():
    from whale_assets.io_rules import errors, network
    from whale_assets.sources.errors import is_transient
    from whale_assets.sources.network import bounded_s3fs, network_timeouts_from_env

    assert is_transient is errors.is_transient
    assert (bounded_s3fs, network_timeouts_from_env) == (network.bounded_s3fs, network.network_timeouts_from_env)


@pytest.mark.parametrize("top", ["core", "io_rules", "sources"])
def test_plain_python_layers_never_import_dagster(top):
    found = {
        f"{module_name(path)} imports {imported}"
        for path in files_of(top)
        for imported in imported_modules(path)
        if imported.split(".")[0].startswith("dagster")
    }
    assert not found


def test_the_import_reader_sees_lazy_relative_and_type_checking_imports(tmp_path, monkeypatch):
    package = tmp_path / "whale_assets"
    (package / "storage").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "storage" / "__init__.py").write_text("")
    module = package / "storage" / "sneaky.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from whale_assets.resources import FileStore\n"
        "def read():\n    from ..results_sql import run_query\n    import dagster_duckdb\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    imported = imported_modules(module)
    assert {"whale_assets.resources.FileStore", "whale_assets.results_sql", "dagster_duckdb"} <= imported
