"""The test World's archive audio is MARS-like, and long scenes stream into day files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render
from whale_assets.sources.audio_archive import AudioArchive
from whale_assets_tests.support.world import World


def test_default_world_audio_is_quiet_reddish_noise_on_the_dc_offset_with_song_units(tmp_path):
    world = World(tmp_path)
    units = world.audio("2023-09-14 15:55:00", 300.0, song_at_s=(60.0, 180.0))
    world.write_archive()
    start = pd.Timestamp("2023-09-14 15:55:00", tz="UTC")
    x = AudioArchive(str(world.archive_dir)).read(start, start + pd.Timedelta(seconds=300))
    assert np.mean(x) == pytest.approx(-0.0034, abs=5e-6)
    assert 5e-5 < np.std(x[: 50 * 16_000]) < 1.3e-4
    assert units and all(
        start.tz_localize(None) + pd.Timedelta(seconds=60)
        <= a
        < b
        <= start.tz_localize(None) + pd.Timedelta(seconds=180)
        for a, b in units
    )


def test_a_scene_across_midnight_is_streamed_into_both_day_files(tmp_path):
    world = World(tmp_path)
    scene = MarsScene(240.0, seed=3, song=(SongSession(30.0, 200.0),))
    units = world.scene("2023-09-14 23:58:00", scene)
    world.write_archive()
    start = pd.Timestamp("2023-09-14 23:58:00", tz="UTC")
    read = AudioArchive(str(world.archive_dir)).read(start, start + pd.Timedelta(seconds=240))
    np.testing.assert_allclose(read, render(scene), atol=2**-23, rtol=0)
    assert units[0][0] >= start.tz_localize(None) + pd.Timedelta(seconds=30)
