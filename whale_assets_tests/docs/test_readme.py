"""The README is a front door: short, the two commands CI and users run, and links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()


def test_the_readme_stays_a_front_door_under_250_lines():
    assert len(README.splitlines()) < 250


def test_the_readme_gives_the_two_commands_and_the_demos_handle():
    for command in ("make test", "make demo", "make dev-demo", "source demo-data/demo.env"):
        assert command in README


def test_every_relative_link_of_the_readme_names_a_file_in_the_repository():
    targets = [target for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README) if "://" not in target]
    assert "docs/getting-started.md" in targets
    assert [target for target in targets if not (REPO / target).is_file()] == []
