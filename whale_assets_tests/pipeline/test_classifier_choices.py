"""The pipeline with the humpback model path (stand-in SavedModel) and with real NOAA song."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from upath import UPath

from whale_assets.core.audio.resample import resampled_length
from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, load_song_recording
from whale_assets.storage.window_arrays import read_partition
from whale_assets_tests.support.noaa import SONG_WAV, requires_noaa
from whale_assets_tests.support.pipeline import DAY, SNRS_DB, SONG_UTC, build_song_day, query, run_day
from whale_assets_tests.support.world import export_row


@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_the_humpback_classifier_finds_song_at_every_snr_and_scores_on_the_models_true_step(
    world, instance, humpback_savedmodel_dir, snr_db
):
    build_song_day(world, snr_db)
    settings = world.settings(classifier="humpback", model=str(humpback_savedmodel_dir))
    assert run_day(settings, instance).success

    results = query(settings, "select * from whale_results order by start_utc")
    row, quiet = results.iloc[0], results.iloc[1]
    assert row["model"] == str(humpback_savedmodel_dir)
    assert list(results["status"]) == ["ok", "no_signal"] and not bool(quiet["detected"])
    assert bool(row["detected"])
    assert SONG_UTC[0] - pd.Timedelta(seconds=3.92) <= row["peak_score_utc"] <= SONG_UTC[1]
    # The song's own stretch is scored, so its pooled score is undiluted (measured 0.77-0.84).
    assert row["pooled_score"] > 0.7
    assert 55 <= row["sifted_seconds"] <= 60 + 2 * 3.92 + 5
    stored = read_partition(UPath(settings.data_dir / "classifications" / DAY))
    [record] = [r for r in stored if "sing" in r.encounter_ids]
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
@pytest.mark.parametrize("classifier", ["energy", "humpback"])
@pytest.mark.parametrize("snr_db", SNRS_DB)
def test_real_noaa_song_in_a_day_file_is_kept_by_the_sift_and_detected_at_its_time(
    world, instance, humpback_savedmodel_dir, classifier, snr_db
):
    # Real Cross Seamount song units voicing 75 s of song at a MARS in-band SNR (the segment's
    # RMS is then ~1e-4 to 2e-4 with the noise, not the 0.003 of the model's training clips, which
    # would stand ~30 dB over MARS background), 6 minutes into 14 minutes of MARS-like audio.
    recording = load_song_recording(SONG_WAV)
    world.encounters(export_row("noaa", "2023-09-14 16:00:00", "2023-09-14 16:02:00"))
    start = pd.Timestamp("2023-09-14 15:55:00")
    scene = MarsScene(14 * 60.0, seed=8, song=(SongSession(6 * 60.0, 75.0, snr_db),), song_recording=recording)
    units = world.scene(str(start), scene)
    world.write_archive()
    song_start, song_end = units[0][0], units[-1][1]
    model = str(humpback_savedmodel_dir) if classifier == "humpback" else None
    settings = world.settings(classifier=classifier, model=model)
    assert run_day(settings, instance, raw_audio={"margin_s": 240.0}).success

    row = query(settings, "select * from whale_results").iloc[0]
    assert row["sifted_start_utc"] <= song_start + pd.Timedelta(seconds=5)
    assert row["sifted_end_utc"] >= song_end - pd.Timedelta(seconds=5)
    assert bool(row["detected"])
    assert song_start - pd.Timedelta(seconds=4) <= row["peak_score_utc"] <= song_end
