"""Analysts' verdicts read back: reviewed_detections joins them, detector_performance reports the
precision they give, and a bad review fails by name without touching what is stored."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dagster import build_sensor_context, materialize

from whale_assets.assets import ALL_ASSETS
from whale_assets.automation.review_sensor import review_files_sensor
from whale_assets.core.review.performance import wilson_interval
from whale_assets.definitions import build_resources
from whale_assets.sources.audio_archive import AudioArchive
from whale_assets_tests.support.pipeline import DAY, build_song_day, query, run_day

RAVEN_FILE = "MARS-20230914T000000Z-16kHz.Table.1.selections.txt"


def _materialize(settings, instance, *names, partition=True):
    return materialize(
        ALL_ASSETS,
        selection=list(names),
        partition_key=DAY if partition else None,
        resources=build_resources(settings),
        instance=instance,
        raise_on_error=False,
    )


@pytest.fixture
def reviewed_day(world, instance):
    build_song_day(world)
    settings = world.settings()
    run_day(settings, instance)
    assert _materialize(settings, instance, "raven_selections").success
    table = pd.read_csv(settings.data_dir / "raven" / DAY / RAVEN_FILE, sep="\t", dtype=str, keep_default_na=False)
    assert len(table) >= 1, "the song day should give a selection to review"
    return settings, table


def save_review(settings, table: pd.DataFrame, name: str = "review.txt") -> None:
    folder = settings.data_dir / "reviews" / DAY
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(table.to_csv(sep="\t", index=False))


def as_raven_saves_it(table: pd.DataFrame) -> pd.DataFrame:
    """Raven's own extra columns, columns moved, rows in another order."""
    saved = table.assign(**{"Delta Time (s)": "1.0", "Begin Path": "/data/" + table["Begin File"]})
    return saved[list(reversed(saved.columns))].iloc[::-1]


def test_verdicts_join_and_the_performance_table_matches_an_independent_count(reviewed_day, instance):
    settings, table = reviewed_day
    verdicts = ["yes", "no", "unsure"] * len(table)
    save_review(settings, as_raven_saves_it(table.assign(Verdict=verdicts[: len(table)])))

    assert _materialize(settings, instance, "reviewed_detections").success
    joined = query(settings, "select * from reviewed_detections order by selection")
    assert joined["selection"].tolist() == [int(s) for s in table["Selection"]]
    assert joined["verdict"].tolist() == [
        {"yes": "true", "no": "false", "unsure": "unsure"}[v] for v in verdicts[: len(table)]
    ]
    assert set(joined["match"]) == {"current"}

    result = _materialize(settings, instance, "detector_performance", partition=False)
    assert result.success
    performance = query(settings, "select * from detector_performance")
    at = performance[(performance.kind == "threshold") & np.isclose(performance.score_low, 0.5)].iloc[0]
    confidence = table["Confidence"].astype(float).to_numpy()
    kept = np.asarray(verdicts[: len(table)])[confidence >= 0.5]
    true, false = int((kept == "yes").sum()), int((kept == "no").sum())
    assert (at.n_true, at.n_false, at.detections) == (true, false, int((confidence >= 0.5).sum()))
    if true + false:
        assert at.precision == pytest.approx(true / (true + false))
        assert at.precision_low == pytest.approx(wilson_interval(true, true + false)[0])
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "threshold_precision"


def test_a_malformed_review_fails_naming_file_and_line_and_keeps_the_stored_verdicts(reviewed_day, instance):
    settings, table = reviewed_day
    save_review(settings, table.assign(Verdict="yes"))
    assert _materialize(settings, instance, "reviewed_detections").success
    assert _materialize(settings, instance, "detector_performance", partition=False).success
    before = query(settings, "select * from reviewed_detections")
    performance_before = query(settings, "select * from detector_performance")

    bad = table.assign(Verdict=["yes"] * (len(table) - 1) + ["perhaps"])
    save_review(settings, bad, "second.txt")
    result = _materialize(settings, instance, "reviewed_detections")

    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.message + str(failure.step_failure_data.user_failure_data)
    assert f"{DAY}/second.txt line {len(table) + 1}: unknown verdict 'perhaps'" in message
    pd.testing.assert_frame_equal(query(settings, "select * from reviewed_detections"), before)
    pd.testing.assert_frame_equal(query(settings, "select * from detector_performance"), performance_before)


def test_a_whole_day_review_gives_recall_with_the_song_the_analyst_added(reviewed_day, instance):
    settings, table = reviewed_day
    # Every detection judged song, and one song the detector missed, drawn in Raven (Raven's own
    # columns only), 10 s into the day, where no selection lies.
    assert (table["File Offset (s)"].astype(float) > 60).all()
    drawn = pd.DataFrame(
        [
            {
                "Selection": str(len(table) + 1),
                "View": "Spectrogram 1",
                "Channel": "1",
                "Begin Time (s)": "10.0",
                "End Time (s)": "14.5",
                "Verdict": "yes",
            }
        ]
    )
    review = pd.concat([table.assign(Verdict="yes"), drawn], ignore_index=True).fillna("")
    save_review(settings, review, RAVEN_FILE.replace(".selections.txt", ".whole-day.txt"))

    assert _materialize(settings, instance, "reviewed_detections").success
    joined = query(settings, "select * from reviewed_detections order by begin_utc")
    assert joined["match"].tolist() == ["added"] + ["current"] * len(table)
    assert joined["whole_day"].all() and pd.isna(joined["selection"].iloc[0])
    assert joined["begin_utc"].iloc[0] == pd.Timestamp(DAY) + pd.Timedelta(seconds=10)

    assert _materialize(settings, instance, "detector_performance", partition=False).success
    performance = query(settings, "select * from detector_performance where kind = 'threshold' order by score_low")
    confidence = table["Confidence"].astype(float).to_numpy()
    for _, row in performance.iterrows():
        kept = int((confidence >= row.score_low).sum())
        assert (row.whole_days, row.n_song, row.n_missed) == (1, len(table) + 1, len(table) + 1 - kept)
        assert row.recall == pytest.approx(kept / (len(table) + 1))


def test_the_sensor_requests_a_day_whose_review_files_are_new_or_changed(reviewed_day):
    settings, table = reviewed_day
    resources = {"reviews": build_resources(settings)["reviews"]}
    first = review_files_sensor(build_sensor_context(resources=resources))
    assert "no new or changed review files" in first.skip_message
    save_review(settings, table.assign(Verdict="yes"))
    result = review_files_sensor(build_sensor_context(resources=resources))
    assert [request.partition_key for request in result.run_requests] == [DAY]
    again = review_files_sensor(build_sensor_context(cursor=result.cursor, resources=resources))
    assert "no new or changed review files" in again.skip_message
    save_review(settings, table.assign(Verdict="no"))  # saved again from Raven: another size or time
    changed = review_files_sensor(build_sensor_context(cursor=result.cursor, resources=resources))
    assert [request.partition_key for request in changed.run_requests] == [DAY]


def test_the_review_sample_is_reproducible_covers_every_bin_and_its_verdicts_flow_back(reviewed_day, instance):
    from whale_assets.core.review.performance import DEFAULT_BIN_EDGES, score_bin
    from whale_assets.review_sample import review_sample
    from whale_assets_tests.support.raven_tables import assert_valid_raven_table

    settings, table = reviewed_day
    day = pd.Timestamp(DAY).date()
    database, archive = settings.database, AudioArchive(settings.audio_source)
    first = review_sample(
        day, day, per_bin=2, seed=5, out_dir=settings.data_dir / "samples", database=database, archive=archive
    )
    again = review_sample(
        day, day, per_bin=2, seed=5, out_dir=settings.data_dir / "again", database=database, archive=archive
    )
    assert [path.read_text() for path in again.tables] == [path.read_text() for path in first.tables]
    assert [path.read_bytes() for path in again.clips] == [path.read_bytes() for path in first.clips]

    sample = pd.concat([assert_valid_raven_table(path) for path in first.tables], ignore_index=True)
    confidence = table["Confidence"].astype(float).to_numpy()
    non_empty = set(score_bin(confidence, DEFAULT_BIN_EDGES)) - {-1}
    assert set(score_bin(sample["Confidence"].to_numpy(float), DEFAULT_BIN_EDGES)) == non_empty
    assert first.detections == len(table) and first.rows == len(sample)
    _assert_each_row_has_its_clip(
        first.folder,
        pd.concat(
            [pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False) for path in first.tables], ignore_index=True
        ),
    )

    # The analyst fills in the sample's tables and copies its folder into the reviews folder.
    folder = settings.data_dir / "reviews" / first.folder.name
    folder.mkdir(parents=True)
    for path in first.tables:
        filled = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False).assign(Verdict="yes")
        (folder / path.name).write_text(filled.to_csv(sep="\t", index=False))
    assert _materialize(settings, instance, "reviewed_detections").success
    joined = query(settings, "select * from reviewed_detections")
    assert len(joined) == first.rows and set(joined["verdict"]) == {"true"}


def _assert_each_row_has_its_clip(folder, sample: pd.DataFrame) -> None:
    """A WAV per sampled selection, named after it, holding the selection and 2 s either side."""
    import soundfile as sf

    assert len(sample) and sample["Clip"].map(bool).all()
    for _, row in sample.iterrows():
        path = folder / row["Clip"]
        assert path.name.startswith(row["Begin File"].removesuffix(".wav") + f".sel{int(row['Selection']):03d}.")
        info = sf.info(str(path))
        length = float(row["End Time (s)"]) - float(row["Begin Time (s)"])
        assert (info.format, info.samplerate, info.channels) == ("WAV", 16_000, 1)
        assert info.duration == pytest.approx(length + 4.0, abs=1e-3)
        assert float(row["Clip Offset (s)"]) == pytest.approx(2.0, abs=1e-3)
        audio, _ = sf.read(str(path))
        assert 0.5 < abs(audio).max() <= 1.0  # a listening copy: peak normalised, not the archive's -60 dBFS


def test_the_sensor_requests_the_days_a_review_sample_folder_names(reviewed_day):
    settings, table = reviewed_day
    resources = {"reviews": build_resources(settings)["reviews"]}
    folder = settings.data_dir / "reviews" / "review_sample_x"
    folder.mkdir(parents=True)
    (folder / "t.txt").write_text(table.assign(Date=DAY, Verdict="yes").to_csv(sep="\t", index=False))
    result = review_files_sensor(build_sensor_context(resources=resources))
    assert [request.partition_key for request in result.run_requests] == [DAY]


def _store_raven_selections(settings, instance, day: str, stored: pd.DataFrame) -> None:
    """`stored` as the day's raven_selections partition, through the platform's own table store."""
    from dagster import asset

    from whale_assets.assets.partitions import DAILY_TABLE

    @asset(
        name="raven_selections", **{key: DAILY_TABLE[key] for key in ("partitions_def", "io_manager_key", "metadata")}
    )
    def raven_selections() -> pd.DataFrame:
        return stored

    assert materialize(
        [raven_selections], partition_key=day, resources=build_resources(settings), instance=instance
    ).success


def test_reviews_of_the_demo_days_give_the_counts_precision_and_fitted_thresholds_computed_here(world, instance):
    """The demo's encounter windows (both demo days) hold detections as a low threshold gives them:
    on the song encounters, on the blue-whale one, on the quiet ones. An analyst marks yes where the
    world's known song is, no elsewhere (the blue whale included), some unsure. The detections are
    stored directly (not scored: the end-to-end demo test runs the scoring, in minutes, and its
    detections are all song at score 1.0, so it cannot show a fit)."""
    from whale_assets.core.reports.raven import Selection, as_stored_table, raven_text, selection_table, tables_by_file
    from whale_assets.demo.world import DEMO_DAYS, ENCOUNTERS
    from whale_assets_tests.support.review_checks import (
        fitted_threshold,
        newton_fit,
        verdicts_from_known_song,
        write_review,
    )

    settings = world.settings()
    rng = np.random.default_rng(21)
    song = [(pd.Timestamp(e.song_utc[0]), pd.Timestamp(e.song_utc[1])) for e in ENCOUNTERS if e.song_utc]
    reviewed = []
    for day in DEMO_DAYS:
        selections = []
        for encounter in ENCOUNTERS:
            start = pd.Timestamp(encounter.start_utc)
            if start.date() != day:
                continue
            for offset_s in (30, 90, 150):
                begin = start + pd.Timedelta(seconds=offset_s)
                sings = any(begin < stop and begin + pd.Timedelta(seconds=20) > on for on, stop in song)
                score = rng.uniform(0.55, 1.0) if sings else rng.uniform(0.05, 0.9)
                selections.append(
                    Selection(
                        begin, begin + pd.Timedelta(seconds=20), round(float(score), 6), (encounter.encounter_id,)
                    )
                )
        table = selection_table(day, selections)
        _store_raven_selections(
            settings, instance, day.isoformat(), as_stored_table(day, table).assign(classifier="energy")
        )
        for file_day, rows in tables_by_file(day, table).items():
            text = pd.read_csv(pd.io.common.BytesIO(raven_text(rows)), sep="\t", dtype=str, keep_default_na=False)
            text["Verdict"] = verdicts_from_known_song(text, song)
            write_review(settings.data_dir / "reviews" / day.isoformat(), f"{file_day:%Y%m%d}.selections.txt", text)
            reviewed.append(text)
    every = pd.concat(reviewed, ignore_index=True)
    blue = every["Encounter ID"] == "hw-1005"
    assert blue.any() and set(every.loc[blue, "Verdict"]) <= {"no", "unsure"}
    assert {"yes", "no", "unsure"} <= set(every["Verdict"])

    for day in DEMO_DAYS:
        assert materialize(
            ALL_ASSETS,
            selection=["reviewed_detections"],
            partition_key=day.isoformat(),
            resources=build_resources(settings),
            instance=instance,
        ).success
    result = _materialize(settings, instance, "detector_performance", partition=False)
    assert result.success
    performance = query(settings, "select * from detector_performance")

    confidence, verdict = every["Confidence"].astype(float).to_numpy(), every["Verdict"].to_numpy()
    at = performance[performance.kind == "threshold"].set_index("score_low")
    for threshold, row in at.iterrows():
        kept = confidence >= threshold
        true, false = int((kept & (verdict == "yes")).sum()), int((kept & (verdict == "no")).sum())
        assert (row.n_true, row.n_false, row.n_unsure) == (true, false, int((kept & (verdict == "unsure")).sum()))
        assert row.detections == int(kept.sum())
        if true + false:
            assert row.precision == pytest.approx(true / (true + false))
            assert (row.precision_low, row.precision_high) == pytest.approx(wilson_interval(true, true + false))
    bins = performance[performance.kind == "bin"]
    assert bins["reviewed"].sum() == len(every) and bins["n_true"].sum() == int((verdict == "yes").sum())

    decided = verdict != "unsure"
    intercept, slope = newton_fit(confidence[decided], (verdict[decided] == "yes").astype(float))
    fits = performance[performance.kind == "fit"].set_index("target_precision")
    assert (fits["reviewed"] == int(decided.sum())).all()
    assert (float(fits.loc[0.9, "fit_intercept"]), float(fits.loc[0.9, "fit_slope"])) == pytest.approx(
        (intercept, slope), abs=1e-3
    )
    for target in (0.9, 0.95):
        expected = fitted_threshold(intercept, slope, target)
        assert 0 < expected < 1, "the demo days' verdicts should give a threshold inside (0, 1)"
        assert float(fits.loc[target, "score_low"]) == pytest.approx(expected, abs=1e-3)
        assert int(fits.loc[target, "detections"]) == int((confidence >= float(fits.loc[target, "score_low"])).sum())
    [check] = result.get_asset_check_evaluations()
    assert check.passed == bool(at.loc[0.5, "precision"] >= 0.9)
