"""A day file in a format the archive never uses fails the step at once, naming file and format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from dagster import DagsterEventType, materialize

from whale_assets.assets import DAY_SCORE_ASSETS
from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.core.synthesis.mars_scene import MarsScene, render
from whale_assets.definitions import build_resources
from whale_assets.demo.archive_writer import archive_path
from whale_assets_tests.support.pipeline import DAY, run_day_result
from whale_assets_tests.support.world import export_row

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def write_day_as(world, subtype: str, channels: int = 1, rate: int = ARCHIVE_SAMPLE_RATE) -> str:
    """A ten-minute day file of archive-like noise, in a format the archive reader does not take."""
    noise = render(MarsScene(10 * 60, seed=3))
    path = archive_path(world.archive_dir, pd.Timestamp(DAY).date())
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, np.column_stack([noise] * channels) if channels > 1 else noise, rate, subtype=subtype)
    return path.name


def step_events(result, event_type: DagsterEventType, step: str):
    return [e for e in result.all_events if e.event_type == event_type and e.step_key == step]


def assert_failed_once_naming(result, step: str, file_name: str, fmt: str) -> None:
    assert not result.success
    assert not step_events(result, DagsterEventType.STEP_UP_FOR_RETRY, step)
    [failure] = step_events(result, DagsterEventType.STEP_FAILURE, step)
    message = str(failure.event_specific_data.error)
    assert file_name in message and fmt in message


@pytest.mark.parametrize(
    "subtype, channels, rate, fmt",
    [
        ("PCM_16", 1, ARCHIVE_SAMPLE_RATE, "16-bit"),
        ("FLOAT", 1, ARCHIVE_SAMPLE_RATE, "IEEE float"),
        ("PCM_24", 2, ARCHIVE_SAMPLE_RATE, "2 channel"),
        ("PCM_24", 1, 48_000, "48000 Hz"),
    ],
)
def test_raw_audio_fails_without_retry_on_a_day_file_in_another_format(world, instance, subtype, channels, rate, fmt):
    world.encounters(export_row("a", f"{DAY} 00:04:00"))
    file_name = write_day_as(world, subtype, channels, rate)
    result = run_day_result(world.settings(), instance)
    assert_failed_once_naming(result, "raw_audio", file_name, fmt)


def test_daily_scores_fails_without_retry_on_a_16_bit_day_file(world, instance):
    file_name = write_day_as(world, "PCM_16")
    result = materialize(
        DAY_SCORE_ASSETS,
        partition_key=DAY,
        resources=build_resources(world.settings()),
        instance=instance,
        raise_on_error=False,
    )
    assert_failed_once_naming(result, "daily_scores", file_name, "16-bit")


def test_a_day_file_that_never_delivers_bytes_fails_raw_audio_at_once_naming_it(world, instance):
    """A FIFO stands for a hung mount (issue 23, finding 14): opening it would block for ever."""
    import os
    import time

    world.encounters(export_row("a", f"{DAY} 00:04:00"))
    path = archive_path(world.archive_dir, pd.Timestamp(DAY).date())
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    began = time.monotonic()
    result = run_day_result(world.settings(), instance)
    print(f"FIFO day file: raw_audio failed in {time.monotonic() - began:.1f} s (run)")
    assert_failed_once_naming(result, "raw_audio", path.name, "not a regular file")
