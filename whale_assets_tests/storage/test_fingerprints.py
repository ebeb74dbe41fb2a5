import pytest
from dagster import DailyPartitionsDefinition, IOManager, build_output_context

from whale_assets.core.fingerprint import fingerprint
from whale_assets.storage.fingerprints import (
    FingerprintedIOManager,
    FingerprintRegistry,
)
from whale_assets.storage.metadata_keys import INCOMPLETE_KEY

DAILY = DailyPartitionsDefinition(start_date="2023-01-01")


class Recording(IOManager):
    def __init__(self, fail: bool = False) -> None:
        self.fail, self.written = fail, []

    def handle_output(self, context, obj):
        if self.fail:
            raise RuntimeError("killed while writing")
        self.written.append(obj)

    def load_input(self, context):
        return self.written[-1]


def output_context(**output_metadata):
    return build_output_context(
        asset_key="sifted_audio",
        partition_key="2023-09-14",
        asset_partitions_def=DAILY,
        output_metadata=output_metadata,
    )


def test_the_fingerprint_is_recorded_only_after_the_partition_was_written(tmp_path):
    registry = FingerprintRegistry(str(tmp_path))
    inner = Recording()
    FingerprintedIOManager(inner, registry).handle_output(output_context(fingerprint="abc", reused=False), "data")
    assert inner.written == ["data"]
    assert registry.get("sifted_audio", "2023-09-14") == "abc"


def test_a_failed_write_leaves_no_fingerprint_so_the_next_run_recomputes(tmp_path):
    registry = FingerprintRegistry(str(tmp_path))
    registry.record("sifted_audio", "2023-09-14", "old")
    with pytest.raises(RuntimeError):
        FingerprintedIOManager(Recording(fail=True), registry).handle_output(
            output_context(fingerprint="new", reused=False), "data"
        )
    assert registry.get("sifted_audio", "2023-09-14") is None


def test_a_reused_output_is_not_written_at_all(tmp_path):
    registry = FingerprintRegistry(str(tmp_path))
    registry.record("sifted_audio", "2023-09-14", "same")
    inner = Recording()
    FingerprintedIOManager(inner, registry).handle_output(
        output_context(fingerprint="same", reused=True), "placeholder"
    )
    assert inner.written == [] and registry.get("sifted_audio", "2023-09-14") == "same"


def test_fingerprints_change_with_parameters_upstream_and_code_but_not_key_order():
    base = fingerprint("a", "1", {"x": 1, "y": 2}, {"up": "f1"})
    assert base == fingerprint("a", "1", {"y": 2, "x": 1}, {"up": "f1"})
    assert (
        len(
            {
                base,
                fingerprint("a", "1", {"x": 2, "y": 2}, {"up": "f1"}),
                fingerprint("a", "1", {"x": 1, "y": 2}, {"up": "f2"}),
                fingerprint("a", "2", {"x": 1, "y": 2}, {"up": "f1"}),
                fingerprint("b", "1", {"x": 1, "y": 2}, {"up": "f1"}),
            }
        )
        == 5
    )


def test_content_digests_make_downstream_chain_on_what_was_stored(tmp_path):
    import pandas as pd

    from whale_assets.core.fingerprint import frame_digest

    registry = FingerprintRegistry(str(tmp_path))
    one, two = pd.DataFrame({"id": ["a"]}), pd.DataFrame({"id": ["a", "late"]})
    registry.record("encounters", "d", "same-inputs", frame_digest(one))
    first = registry.get_output("encounters", "d")
    registry.record("encounters", "d", "same-inputs", frame_digest(two))
    assert registry.get("encounters", "d") == "same-inputs"
    assert registry.get_output("encounters", "d") != first
    assert frame_digest(one) == frame_digest(one.copy())


class ReportsIncomplete(Recording):
    """An inner IO manager that learns while writing that data is missing (as window arrays do)."""

    def handle_output(self, context, obj):
        super().handle_output(context, obj)
        context.add_output_metadata({INCOMPLETE_KEY: True})


@pytest.mark.parametrize("reported_by", ["asset", "io_manager"])
def test_an_incomplete_output_is_written_but_gets_no_fingerprint(tmp_path, reported_by):
    registry = FingerprintRegistry(str(tmp_path))
    registry.record("sifted_audio", "2023-09-14", "old")
    if reported_by == "asset":
        inner, context = Recording(), output_context(fingerprint="new", reused=False, incomplete=True)
    else:
        inner, context = ReportsIncomplete(), output_context(fingerprint="new", reused=False)
    FingerprintedIOManager(inner, registry).handle_output(context, "data")
    assert inner.written == ["data"] and registry.get("sifted_audio", "2023-09-14") is None
