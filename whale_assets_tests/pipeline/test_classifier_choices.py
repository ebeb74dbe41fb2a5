"""The pipeline with the humpback model path (stand-in SavedModel) and with real NOAA song."""

from __future__ import annotations

import numpy as np
import pandas as pd
from upath import UPath

from whale_assets.core.audio.resample import resample_exact, resampled_length
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.storage.window_arrays import read_partition
from whale_assets_tests.support.noaa import SONG_WAV, requires_noaa
from whale_assets_tests.support.pipeline import DAY, query, run_day
from whale_assets_tests.support.world import export_row


def test_the_humpback_classifier_scores_windows_on_the_models_true_step(world, instance, humpback_savedmodel_dir):
    world.encounters(export_row("sing", "2023-09-14 16:00:00", "2023-09-14 16:02:00"))
    world.audio("2023-09-14 15:55:00", 12 * 60, song_at_s=(5 * 60 + 30, 6 * 60 + 30))
    world.write_archive()
    settings = world.settings(classifier="humpback", model=str(humpback_savedmodel_dir))
    assert run_day(settings, instance).success

    row = query(settings, "select * from whale_results").iloc[0]
    assert row["model"] == str(humpback_savedmodel_dir)
    stored = read_partition(UPath(settings.data_dir / "classifications" / DAY))
    [record] = list(stored)
    track = stored.load(record.window_id)
    sifted = read_partition(UPath(settings.data_dir / "sifted_audio" / DAY)).record(record.window_id)
    segments = [(end - start).total_seconds() for start, end in sifted.segments_utc]
    assert segments and round(sum(segments) * 16_000) == sifted.n_samples
    # Each stored stretch is scored on its own, on the model's true 0.99 s step.
    expected = sum(WindowGrid().n_windows(resampled_length(round(s * 16_000), 16_000, 10_000)) for s in segments)
    assert track.size == row["n_scores"] == expected
    steps = np.diff(track["start_utc"]).astype("timedelta64[ms]").astype(int)
    assert set(steps[steps < 3_000]) == {990}
    assert track["start_utc"][0] == sifted.segments_utc[0][0].tz_localize(None).to_datetime64()
    assert track["start_utc"][0] == record.start_utc.tz_localize(None).to_datetime64()


@requires_noaa
def test_real_noaa_song_in_a_day_file_is_kept_by_the_sift_and_detected_at_its_time(world, instance):
    import soundfile as sf

    song, rate = sf.read(SONG_WAV, dtype="float32")
    song16 = resample_exact(song - song.mean(), rate, 16_000)
    song16 *= 0.003 / song16.std()
    song_start = pd.Timestamp("2023-09-14 16:01:00")
    song_end = song_start + pd.Timedelta(seconds=song16.size / 16_000)
    world.encounters(export_row("noaa", "2023-09-14 16:00:00", "2023-09-14 16:02:00"))
    # 14 minutes of background with the song 6 minutes in; the encounter window is 15:59-16:03.
    world.audio("2023-09-14 15:55:00", 14 * 60, song_at_s=(6 * 60, 6 * 60 + song16.size / 16_000), song=song16)
    world.write_archive()
    settings = world.settings()
    assert run_day(settings, instance, raw_audio={"margin_s": 240.0}).success

    row = query(settings, "select * from whale_results").iloc[0]
    assert row["sifted_start_utc"] <= song_start + pd.Timedelta(seconds=5)
    assert row["sifted_end_utc"] >= song_end - pd.Timedelta(seconds=5)
    assert bool(row["detected"])
    assert song_start - pd.Timedelta(seconds=4) <= row["peak_score_utc"] <= song_end
