"""The documentation site builds with `mkdocs build --strict` (broken links, missing pages and
warnings fail), and its reference pages are generated from the code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("mkdocs", reason="mkdocs comes with the dev extra (make test installs it)")
    site = tmp_path_factory.mktemp("site")
    env = {**os.environ, "DISABLE_MKDOCS_2_WARNING": "true", "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-4000:]
    return site


def page_text(site: Path, page: str) -> str:
    return (site / page / "index.html").read_text()


def test_the_site_builds_strictly_with_every_reference_page(built_site):
    for page in ("reference/assets", "reference/tables", "reference/environment", "reference/cli"):
        assert (built_site / page / "index.html").is_file()


def test_the_assets_reference_lists_every_asset_with_its_run_config_keys(built_site):
    from whale_assets.assets import ALL_ASSETS

    text = page_text(built_site, "reference/assets")
    for asset in ALL_ASSETS:
        assert f"<code>{asset.key.to_user_string()}</code>" in text
    assert "margin_s" in text and "radius_km" in text and "highcut_hz" in text


def test_the_tables_reference_lists_every_column_description(built_site):
    from whale_assets.assets.table_metadata import COLUMN_DESCRIPTIONS

    text = page_text(built_site, "reference/tables")
    for table, columns in COLUMN_DESCRIPTIONS.items():
        assert f"<code>{table}</code>" in text
        for column in columns:
            assert f"<code>{column}</code>" in text


def test_the_environment_reference_lists_every_variable(built_site):
    from whale_assets.environment import ENVIRONMENT_VARIABLES

    text = page_text(built_site, "reference/environment")
    assert all(f"<code>{variable.name}</code>" in text for variable in ENVIRONMENT_VARIABLES)


def test_the_cli_reference_shows_each_commands_help(built_site):
    text = page_text(built_site, "reference/cli")
    for command in ("sql", "export", "demo", "deploy-init"):
        assert f"whale-assets {command}" in text
