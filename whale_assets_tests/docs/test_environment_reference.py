"""The environment catalogue (source of the docs' reference page) and the configuration page's table
(docs/configuration.md) name every WHALE_* variable the package reads, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from whale_assets.environment import ENVIRONMENT_VARIABLES

REPO = Path(__file__).resolve().parents[2]
CONFIGURATION_PAGE = REPO / "docs" / "configuration.md"
CATALOGUE = REPO / "whale_assets" / "environment.py"
# A WHALE_ name as written in the code (S3 names hold digits); a name ending in "_" is a prefix.
_NAME = re.compile(r"\bWHALE_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
_TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|", re.MULTILINE)


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    following = re.search(r"\n#{1,3} ", text[start + len(heading) + 2 :])
    return text[start : start + len(heading) + 2 + following.start()] if following else text[start:]


def package_variables() -> set[str]:
    """Every WHALE_* name in the package's Python source (settings, sources, deploy-init, ...)."""
    return {
        name
        for path in (REPO / "whale_assets").rglob("*.py")
        if path != CATALOGUE
        for name in _NAME.findall(path.read_text())
    }


def environment_table() -> set[str]:
    page = CONFIGURATION_PAGE.read_text()
    return set(_TABLE_ROW.findall(_section(page, "## Environment (read once when the code location loads)")))


def test_every_whale_variable_the_package_reads_has_a_row_in_the_configuration_pages_table():
    found = package_variables()

    assert {"WHALE_DATA_DIR", "WHALE_STORAGE", "WHALE_S3_BUCKET", "WHALE_CONNECT_TIMEOUT_S"} <= found
    assert found - environment_table() == set()


def test_the_environment_table_names_no_variable_the_package_does_not_read():
    assert environment_table() - package_variables() == set()


def test_every_whale_variable_the_package_reads_is_in_the_environment_catalogue():
    assert {variable.name for variable in ENVIRONMENT_VARIABLES} == package_variables()


def test_the_catalogue_names_each_variable_once():
    names = [variable.name for variable in ENVIRONMENT_VARIABLES]
    assert len(names) == len(set(names))
