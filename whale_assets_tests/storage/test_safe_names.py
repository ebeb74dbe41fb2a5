"""Names from outside data never become paths that leave the data folder (issue 14, finding 5)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from upath import UPath

from whale_assets.core.encounters.windows import window_id_for
from whale_assets.core.windows import WindowRecord
from whale_assets.resources import FileStore
from whale_assets.storage.files import path_under
from whale_assets.storage.fingerprints import FingerprintRegistry
from whale_assets.storage.names import (
    UnsafePathError,
    checked_relative_path,
    safe_file_name,
)
from whale_assets.storage.window_arrays import (
    WindowArray,
    WindowArrays,
    write_partition,
)

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)

PLAIN = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")
HOSTILE = [
    "..",
    ".",
    "",
    "../../../../escape",
    "/etc/passwd",
    "a/b",
    "nul\x00byte",
    "back\\slash\\..\\..",
    ".hidden",
    "x" * 5000,
    "baleine à bosse 🐋",
    "\udcff lone surrogate",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_text_becomes_one_plain_bounded_file_name(text):
    name = safe_file_name(text)
    assert PLAIN.match(name), name
    assert name not in (".", "..") and len(name) <= 120


@pytest.mark.parametrize("text", ["123456", "enc-42_a.b", "20230914T100000Z"])
def test_a_name_that_is_already_safe_is_kept_as_it_is(text):
    assert safe_file_name(text) == text


def test_changed_names_stay_readable_and_differ_when_the_originals_differ():
    assert (
        safe_file_name("../../../../escape") == "~2e.~2f..~2f..~2f..~2fescape"
    )  # one segment: inner dots are harmless
    assert safe_file_name("a/b") != safe_file_name("a\\b") != safe_file_name("a b")
    assert safe_file_name("x" * 5000) != safe_file_name("x" * 5001)
    assert len(safe_file_name("x" * 5000, max_len=40)) == 40


def _collision_candidates() -> list[str]:
    """Ids built to hit each other's names: the old cleaned-plus-hash shape, escapes, cuts, case."""
    old_shape = "a_b-c14cddc033"  # what the old scheme made of "a/b"
    texts = ["a/b", old_shape, "a_b", "a~2fb", "a~7e2fb", "~", "~7e", "", ".", "..", "~2e", "~2e.", ".a", "_a"]
    texts += [safe_file_name(text) for text in list(texts)]  # every name, also as an id of its own
    long = "x" * 200
    texts += [long, long + "/", long + "~", long[:-1] + "/", long + "x", safe_file_name(long)]
    texts += ["é", "e\u0301", "\udcc3\udca9", "%2F", "a" * 120, "a" * 121, "a" * 119 + "/"]
    texts += [f"{stem}{tail}" for stem in ("a", "a/", "a~") for tail in ("", "b", "/b", "~2fb", "-0123456789")]
    return list(dict.fromkeys(texts))


def test_no_two_ids_share_a_file_name_even_when_built_to_collide():
    texts = _collision_candidates()
    names = [safe_file_name(text) for text in texts]

    assert len(set(names)) == len(texts), [t for t, n in zip(texts, names, strict=True) if names.count(n) > 1]
    assert safe_file_name("a/b") != safe_file_name("a_b-c14cddc033")  # issue 23, finding 4
    assert all(PLAIN.match(name) and len(name) <= 120 for name in names)


@pytest.mark.parametrize("max_len", [34 + 1, 40, 120])
def test_long_ids_differing_only_after_the_cut_get_different_names(max_len):
    stem = "enc/" * 100
    names = {safe_file_name(stem + tail, max_len=max_len) for tail in ["a", "b", "a/", "~", ""]}
    assert len(names) == 5 and all(len(name) <= max_len for name in names)


def test_window_ids_are_already_safe_file_names():
    for start in ["2023-09-14 00:00:00", "2023-09-14 23:59:59.999", "2015-07-28 10:17:03"]:
        window_id = window_id_for(pd.Timestamp(start, tz="UTC"))
        assert safe_file_name(window_id) == window_id


@pytest.mark.parametrize("relative", ["../x.png", "a/../../x.png", "/abs/x.png", "a/./b", "", "a\x00b", "..\\x"])
def test_a_relative_path_that_could_leave_its_folder_is_refused(relative):
    with pytest.raises(UnsafePathError):
        checked_relative_path(relative)


def test_a_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "link").symlink_to(outside)
    assert path_under(UPath(tmp_path / "base"), "day/x.png").path.endswith("base/day/x.png")
    with pytest.raises(UnsafePathError, match="outside"):
        path_under(UPath(tmp_path / "base"), "link/x.png")


def test_the_file_store_refuses_to_write_outside_its_base(tmp_path):
    store = FileStore(base_path=str(tmp_path / "data" / "images"))
    with pytest.raises(UnsafePathError):
        store.write("2023-09-14/../../../../escape.png", b"png")
    assert not any(p.name.startswith("escape") for p in tmp_path.rglob("*"))
    assert store.write("2023-09-14/ok.png", b"png").endswith("images/2023-09-14/ok.png")


def test_a_window_array_named_to_climb_out_of_its_partition_is_refused(tmp_path):
    partition = UPath(tmp_path / "data" / "raw_audio" / "2023-09-14")
    window = WindowArray(WindowRecord("../../../../escape"), np.zeros(4, np.float32))
    with pytest.raises(UnsafePathError):
        write_partition(partition, WindowArrays([window]))
    assert not any(p.name.startswith("escape") for p in tmp_path.rglob("*"))


def test_a_fingerprint_for_a_partition_that_climbs_out_is_refused(tmp_path):
    registry = FingerprintRegistry(str(tmp_path / "data"))
    with pytest.raises(UnsafePathError):
        registry.record("encounters", "../../../escape", "abc")
    assert not any(p.name.startswith("escape") for p in tmp_path.rglob("*"))
