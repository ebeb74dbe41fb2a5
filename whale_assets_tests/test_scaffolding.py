"""`dg scaffold defs` writes into `whale_assets/defs/`, and the code location loads what it wrote."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from whale_assets.definitions import scaffolded_definitions

REPO = Path(__file__).resolve().parents[1]
DG = Path(sys.executable).with_name("dg")


def project_copy(tmp_path: Path) -> Path:
    """The tracked files of the repository in a temp folder (scaffolding must not touch the real tree)."""
    listed = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    copy = tmp_path / "project"
    for name in listed.splitlines():
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    return copy


def run_in(project: Path, *command: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "PYTHONPATH": str(project),  # the copy's package, not the editable install's
        "PATH": f"{DG.parent}{os.pathsep}{os.environ['PATH']}",
        "WHALE_DATA_DIR": str(project / "data"),
    }
    return subprocess.run(list(command), cwd=project, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
@pytest.mark.skipif(not DG.exists(), reason="dg (dagster-dg-cli) is not installed beside this Python")
@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs a git checkout to copy the tracked files")
def test_dg_scaffold_defs_adds_an_asset_that_the_code_location_loads_beside_the_platform(tmp_path):
    project = project_copy(tmp_path)
    scaffold = run_in(project, str(DG), "scaffold", "defs", "dagster.asset", "ping.py")
    assert scaffold.returncode == 0, scaffold.stderr
    assert (project / "whale_assets" / "defs" / "ping.py").is_file()

    loaded = run_in(
        project,
        sys.executable,
        "-c",
        "from whale_assets.definitions import defs; "
        "print(sorted(k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()))",
    )
    assert loaded.returncode == 0, loaded.stderr
    assert "'ping'" in loaded.stdout and "'whale_results'" in loaded.stdout

    check = run_in(project, str(DG), "check", "defs")
    assert check.returncode == 0, check.stdout + check.stderr
    listed = run_in(project, str(DG), "list", "defs", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"ping"' in listed.stdout and '"whale_results"' in listed.stdout


def fake_installed_package(tmp_path: Path, *defs_files: str) -> Path:
    package = tmp_path / "site-packages" / "whale_assets"
    (package / "defs").mkdir(parents=True)
    (package / "defs" / "__init__.py").write_text("")
    for name in defs_files:
        (package / "defs" / name).write_text("import dagster as dg\n")
    return package


def test_an_installed_package_without_pyproject_loads_an_empty_defs_folder_as_nothing(tmp_path):
    defs = scaffolded_definitions(fake_installed_package(tmp_path))
    assert list(defs.assets or []) == [] and list(defs.jobs or []) == []


def test_an_installed_package_without_pyproject_refuses_to_drop_scaffolded_definitions(tmp_path):
    with pytest.raises(RuntimeError, match=r"ping\.py.*pip install -e"):
        scaffolded_definitions(fake_installed_package(tmp_path, "ping.py"))
