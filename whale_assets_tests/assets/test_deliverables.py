"""The deliverables built from a stored song day: Raven selection table (and its round trip)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dagster import asset, materialize

from whale_assets.assets import ALL_ASSETS, DELIVERABLE_ASSETS
from whale_assets.assets.partitions import DAILY_TABLE
from whale_assets.core.reports.raven import RAVEN_COLUMNS, WINDOW_S
from whale_assets.core.scoring.pooling import filtered_by_stretch
from whale_assets.core.scoring.track import infer_step_ns
from whale_assets.core.utc import Day
from whale_assets.definitions import build_resources
from whale_assets.storage.window_arrays import read_partition
from whale_assets_tests.support.pipeline import DAY, build_song_day, query, run_day
from whale_assets_tests.support.raven_tables import assert_valid_raven_table


def _deliver(settings, instance, *assets, **config):
    run_config = {"ops": {name: {"config": value} for name, value in config.items()}}
    return materialize(
        ALL_ASSETS,
        selection=list(assets),
        partition_key=DAY,
        resources=build_resources(settings),
        instance=instance,
        run_config=run_config,
    )


def test_raven_selections_are_the_runs_above_threshold_of_each_encounter_window(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    folder = settings.data_dir / "raven" / DAY
    folder.mkdir(parents=True)
    stale = folder / "MARS-20230915T000000Z-16kHz.Table.1.selections.txt"  # an earlier write's part past midnight
    analysts = folder / "MARS-20230914T000000Z-16kHz.Table.2.selections.txt"  # saved from Raven by a person
    stale.write_text("old"), analysts.write_text("verdicts")
    assert _deliver(settings, instance, "raven_selections").success
    assert not stale.exists() and analysts.read_text() == "verdicts"

    path = folder / "MARS-20230914T000000Z-16kHz.Table.1.selections.txt"
    assert_valid_raven_table(path)
    table = pd.read_csv(path, sep="\t", keep_default_na=False, dtype={"Encounter ID": str})
    assert tuple(table.columns) == RAVEN_COLUMNS
    assert len(table) >= 1 and set(table["Encounter ID"]) == {"sing"}
    scored = read_partition(_upath(settings.data_dir / "classifications" / DAY))
    [window] = [w for w in scored if "sing" in w.encounter_ids]
    track = scored.load(window.window_id)
    filtered = filtered_by_stretch(track["start_utc"], track["score"], infer_step_ns(track["start_utc"]), 5)
    start_s = (track["start_utc"] - np.datetime64(DAY, "ns")) / np.timedelta64(1, "s")
    for row in table.to_dict("records"):
        inside = (start_s >= row["Begin Time (s)"] - 1e-6) & (start_s + WINDOW_S <= row["End Time (s)"] + 1e-6)
        assert inside.any() and (filtered[inside] >= 0.5).all()
        assert abs(row["Confidence"] - filtered[inside].max()) < 1e-5
        assert row["File Offset (s)"] == row["Begin Time (s)"]
    # The song is at 16:00:30-16:01:30 UTC (57 630-57 690 s into the day file).
    assert table["Begin Time (s)"].min() < 57_690 and table["End Time (s)"].max() > 57_630
    stored = query(settings, "select * from raven_selections")
    assert len(stored) == len(table) and list(stored["begin_time_s"]) == list(table["Begin Time (s)"])
    # Each row records how it was made: this run, its threshold and filter, the day's upstream settings.
    result = _deliver(settings, instance, "raven_selections", raven_selections={"threshold": 0.4})
    made = query(
        settings,
        "select run_id, threshold, median_filter_windows, margin_s, sift_mode, classifier from raven_selections",
    )
    assert set(made["run_id"]) == {result.run_id} and set(made["threshold"]) == {0.4}
    assert set(made["median_filter_windows"]) == {5} and set(made["margin_s"]) == {60.0}
    assert set(made["sift_mode"]) == {"noise_floor"} and set(made["classifier"]) == {"energy"}
    [event] = result.get_asset_materialization_events()
    changed = event.event_specific_data.materialization.metadata["settings_changed"].value
    assert changed == {"threshold": {"before": 0.5, "after": 0.4}}


def test_raven_selections_add_the_runs_of_the_days_stored_full_day_scores(world, instance):
    from whale_assets.core.reports.diel import STEP_S
    from whale_assets.core.tables.daily_scores import daily_score_table

    @asset(name="daily_scores", **DAILY_TABLE)
    def stored_scores(context) -> pd.DataFrame:
        # Ten minutes of 0.99 s windows from 03:00 UTC, song (0.9) from 03:02 to 03:04.
        day = pd.Timestamp(context.partition_key)
        times = day + pd.Timedelta(hours=3) + pd.to_timedelta(np.arange(606) * STEP_S, unit="s")
        offset_s = (times - day - pd.Timedelta(hours=3)).total_seconds()
        scores = np.where((offset_s >= 120) & (offset_s < 240), 0.9, 0.05)
        return daily_score_table(
            Day.from_key(context.partition_key), times.to_numpy("datetime64[ns]"), scores, "energy"
        )

    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    resources = build_resources(settings)
    assert materialize([stored_scores], partition_key=DAY, resources=resources, instance=instance).success
    assert _deliver(settings, instance, "raven_selections").success

    assert_valid_raven_table(settings.data_dir / "raven" / DAY / "MARS-20230914T000000Z-16kHz.Table.1.selections.txt")
    table = query(settings, "select * from raven_selections order by selection")
    full_day = table[table["encounter_id"] == ""]
    assert len(full_day) == 1 and set(table["encounter_id"]) == {"", "sing"}
    assert full_day["source"].tolist() == ["daily_scores"]
    [row] = full_day.to_dict("records")
    # The run's first window starts at or after 03:02 and its last one ends by 03:04 plus a window.
    assert 3 * 3600 + 118 <= row["begin_time_s"] <= 3 * 3600 + 122
    assert 3 * 3600 + 238 <= row["end_time_s"] <= 3 * 3600 + 240 + WINDOW_S
    assert row["confidence"] == pytest.approx(0.9) and list(table["selection"]) == list(range(1, len(table) + 1))


def _upath(path):
    from upath import UPath

    return UPath(path)


def test_encounter_clips_play_back_the_stored_archive_samples_around_the_peak(world, instance):
    import soundfile as sf

    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    assert _deliver(settings, instance, "encounter_clips", encounter_clips={"clip_s": 20.0}).success

    clips = query(settings, "select * from encounter_clips order by encounter_id")
    results = query(settings, "select date, encounter_id, status from whale_results")
    joined = results.merge(clips, on=["date", "encounter_id"])
    assert set(joined["encounter_id"]) == set(results.loc[results["status"] != "no_audio", "encounter_id"])
    raw = read_partition(_upath(settings.data_dir / "raw_audio" / DAY))
    for row in joined.to_dict("records"):
        window = raw.record(row["window_id"])
        audio = raw.load(row["window_id"])
        first = round((row["clip_start_utc"] - window.start_utc.tz_localize(None)).total_seconds() * 16_000)
        with sf.SoundFile(row["clip_path"]) as flac:
            assert (flac.samplerate, flac.channels, flac.subtype) == (16_000, 1, "PCM_24")
            assert row["encounter_id"] in flac.title and "MARS-20230914T000000Z-16kHz.wav" in flac.comment
            played = flac.read(dtype="float64")
        assert played.size == round(row["clip_seconds"] * 16_000) == 20 * 16_000
        np.testing.assert_allclose(played, audio[first : first + played.size], rtol=0, atol=2.0**-23)
        assert row["clip_path"].endswith(
            f"{row['clip_start_utc']:%Y%m%dT%H%M%S}.{row['clip_start_utc']:%f}"[:-3] + "Z.flac"
        )
    made = query(settings, "select run_id, margin_s, threshold, classifier from encounter_clips")
    assert made["run_id"].notna().all() and set(made["margin_s"]) == {60.0} and set(made["threshold"]) == {0.5}
    # Another clip length gives other file names: the day's folder keeps only the new clips.
    assert _deliver(settings, instance, "encounter_clips", encounter_clips={"clip_s": 10.0}).success
    again = query(settings, "select clip_path, listening_path, clip_seconds from encounter_clips")
    assert set(again["clip_seconds"]) == {10.0}
    assert {str(p) for p in (settings.data_dir / "clips" / DAY).iterdir()} == {
        *again["clip_path"],
        *again["listening_path"],
    }
    sing = joined.set_index("encounter_id").loc["sing"]
    # The clip is centred on the detected song (16:00:30-16:01:30 UTC).
    assert pd.Timestamp("2023-09-14 16:00:10") <= sing["clip_start_utc"] <= pd.Timestamp("2023-09-14 16:01:30")


def test_diel_presence_draws_every_stored_day_with_cells_equal_to_the_hourly_minutes(world, instance):
    import base64
    import io

    import matplotlib.image

    from whale_assets.assets import DAY_SCORE_ASSETS
    from whale_assets.assets.diel_presence import FIGURE_PREVIEW_KEY
    from whale_assets.core.reports.diel import STEP_S, figure_size_px
    from whale_assets.core.tables.daily_scores import daily_score_table

    settings = world.settings()
    resources = build_resources(settings)
    rng = np.random.default_rng(3)

    @asset(name="daily_scores", **DAILY_TABLE)
    def stored_scores(context) -> pd.DataFrame:
        # Two hours of 0.99 s windows; song (scores ~0.9) in the second hour's first 20 minutes.
        day = pd.Timestamp(context.partition_key)
        times = day + pd.Timedelta(hours=5) + pd.to_timedelta(np.arange(7272) * STEP_S, unit="s")
        scores = np.where(
            (times >= day + pd.Timedelta(hours=6)) & (times < day + pd.Timedelta(hours=6, minutes=20)), 0.9, 0.05
        )
        return daily_score_table(
            Day.from_key(context.partition_key),
            times.to_numpy("datetime64[ns]"),
            scores + rng.normal(0, 0.01, scores.size),
            "energy",
        )

    for day in ("2023-09-14", "2023-09-16"):
        result = materialize(
            [stored_scores, DAY_SCORE_ASSETS[1], DELIVERABLE_ASSETS[2]],
            partition_key=day,
            resources=resources,
            instance=instance,
        )
        assert result.success

    hourly = query(settings, "select * from hourly_presence order by date, hour_utc")
    diel = query(settings, "select * from diel_presence order by date, hour")
    assert len(diel) == 48 and list(diel["hour"][:24]) == list(range(24))
    np.testing.assert_allclose(diel["song_minutes"], hourly["n_above_threshold"] * 0.99 / 60)
    assert 19 < diel.loc[diel["hour"] == 6, "song_minutes"].iloc[0] <= 20.1
    png = matplotlib.image.imread(settings.data_dir / "reports" / "diel_presence.png")
    # Three days from first to last (the missing 15th is a blank row), 24 hours across.
    width, height = figure_size_px(3)
    assert png.shape[:2] == (height, width)
    # The UI shows the heatmap inline (a markdown data-URI image), not only its path.
    [materialization] = result.asset_materializations_for_node("diel_presence")
    preview = materialization.metadata[FIGURE_PREVIEW_KEY].value
    encoded = preview.split("data:image/png;base64,", 1)[1].rstrip(")")
    inline = matplotlib.image.imread(io.BytesIO(base64.b64decode(encoded)), format="png")
    assert inline.shape[:2] == (height, width)  # small enough to show at full size
