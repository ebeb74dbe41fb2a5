"""The layers hold: core, sources and storage never import from the Dagster shell above them.

Every import statement is read from the source (`ast`), including imports inside functions and
`TYPE_CHECKING` blocks, so a lazy import cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import whale_assets

PACKAGE = Path(whale_assets.__file__).parent
SHELL = ("assets", "automation", "definitions", "resources", "cli", "results_sql")
LOWER_LAYERS = ("core", "sources", "storage")


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


def modules_of(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def is_within(module: str, parent: str) -> bool:
    return module == parent or module.startswith(parent + ".")


@pytest.mark.parametrize("layer", LOWER_LAYERS)
def test_a_lower_layer_imports_nothing_from_the_dagster_shell(layer):
    assert len(modules_of(layer)) > 3  # the folder really is where this test looks
    upward = {
        f"{module_name(path)} imports {imported}"
        for path in modules_of(layer)
        for imported in imported_modules(path)
        if any(is_within(imported, f"whale_assets.{shell}") for shell in SHELL)
    }
    assert not upward


def test_core_never_imports_dagster_nor_the_layers_built_on_it():
    forbidden = ("dagster", "whale_assets.sources", "whale_assets.storage")
    found = {
        f"{module_name(path)} imports {imported}"
        for path in modules_of("core")
        for imported in imported_modules(path)
        if imported.split(".")[0].startswith("dagster") or any(is_within(imported, f) for f in forbidden[1:])
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
