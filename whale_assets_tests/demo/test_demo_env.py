"""demo.env, the demo's one handle: sourced by a shell it gives back every value, spaces and quotes included."""

from __future__ import annotations

import subprocess

from whale_assets.demo.run import write_demo_env


def test_sourcing_the_demo_env_file_exports_each_value_as_written(tmp_path):
    values = {
        "DAGSTER_HOME": str(tmp_path / "a home"),
        "WHALE_DATA_DIR": str(tmp_path / "it's data"),
        "WHALE_CLASSIFIER": "energy",
    }
    env_file = write_demo_env(tmp_path / "demo.env", values)
    shown = subprocess.run(
        ["bash", "-c", f'source "{env_file}" && env -0'],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    exported = dict(item.split("=", 1) for item in shown.split("\0") if "=" in item)
    assert {name: exported[name] for name in values} == values
