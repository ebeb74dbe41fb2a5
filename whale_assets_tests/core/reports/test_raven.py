"""Raven selection tables: runs above threshold, one row per event inside its day file, read back by crowsetta."""

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest

from whale_assets.core.reports.raven import (
    RAVEN_COLUMNS,
    SOURCE_DAILY_SCORES,
    SOURCE_ENCOUNTER,
    WINDOW_S,
    Selection,
    detected_runs,
    raven_file_name,
    raven_text,
    selection_table,
    tables_by_file,
)
from whale_assets.core.scoring.pooling import DetectionRule, filtered_by_stretch
from whale_assets_tests.support.raven_tables import assert_valid_raven_table

DAY = dt.date(2023, 9, 14)
STEP_NS = 990_000_000


def _track(start: str, scores: list[float]) -> tuple[np.ndarray, np.ndarray]:
    times = np.datetime64(start, "ns") + np.arange(len(scores)) * np.timedelta64(STEP_NS, "ns")
    return times, np.asarray(scores, dtype=np.float32)


def test_a_run_spans_its_first_window_start_to_its_last_window_end():
    times, scores = _track("2023-09-14T16:00:00", [0.1] * 5 + [0.9] * 6 + [0.1] * 5)
    [run] = detected_runs(times, scores, DetectionRule(0.5, 3), encounter_ids=("sing",))
    assert run.begin_utc == pd.Timestamp(times[5])
    assert run.end_utc == pd.Timestamp(times[10]) + pd.Timedelta(seconds=WINDOW_S)
    assert run.score == np.float32(0.9) and run.encounter_ids == ("sing",) and run.sources == (SOURCE_ENCOUNTER,)


def test_a_single_loud_window_is_no_selection_and_a_gap_splits_runs():
    times, scores = _track("2023-09-14T16:00:00", [0.1, 0.1, 0.95, 0.1, 0.1])
    assert detected_runs(times, scores, DetectionRule(0.5, 3)) == []
    first, _ = _track("2023-09-14T16:00:00", [0.8] * 4)
    second, _ = _track("2023-09-14T16:10:00", [0.8] * 4)
    runs = detected_runs(np.r_[first, second], np.full(8, 0.8), DetectionRule(0.5, 3))
    assert [r.begin_utc for r in runs] == [pd.Timestamp(first[0]), pd.Timestamp(second[0])]


def test_the_written_table_reads_back_with_raven_columns_and_day_file_times(tmp_path):
    times, scores = _track("2023-09-14T16:00:00", [0.2] * 4 + [0.7, 0.8, 0.75, 0.9] + [0.1] * 4)
    runs = detected_runs(times, scores, DetectionRule(0.5, 3), encounter_ids=("sing",))
    text = raven_text(selection_table(DAY, runs))
    (tmp_path / raven_file_name(DAY)).write_bytes(text)
    assert len(assert_valid_raven_table(tmp_path / raven_file_name(DAY))) == 1
    back = pd.read_csv(io.StringIO(text.decode()), sep="\t", keep_default_na=False)
    assert back["Common Name"].tolist() == ["Humpback Whale"] and back["Scientific Name"][0] == "Megaptera novaeangliae"
    assert back["Source"].tolist() == ["encounter"] and back["Encounter ID"].tolist() == ["sing"]
    assert tuple(back.columns) == RAVEN_COLUMNS
    filtered = filtered_by_stretch(times, scores, STEP_NS, 3)
    for row in back.itertuples(index=False):
        begin_s, end_s = row[3], row[4]
        assert row[1] == "Spectrogram 1" and row[2] == 1
        assert row[7] == "MARS-20230914T000000Z-16kHz.wav" and row[8] == begin_s
        start = (times - np.datetime64("2023-09-14", "ns")) / np.timedelta64(1, "s")
        inside = (start >= begin_s - 1e-6) & (start + WINDOW_S <= end_s + 1e-6)
        assert (filtered[inside] >= 0.5).all() and inside.any()
        assert abs(row[12] - filtered[inside].max()) < 1e-6
        assert row[9] == pd.Timestamp(times[inside][0]).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3]
    assert raven_file_name(DAY) == "MARS-20230914T000000Z-16kHz.Table.1.selections.txt"


def test_a_day_without_detections_is_a_header_only_table(tmp_path):
    text = raven_text(selection_table(DAY, []))
    assert text.decode().rstrip("\n").split("\t") == list(RAVEN_COLUMNS)
    (tmp_path / raven_file_name(DAY)).write_bytes(text)
    assert assert_valid_raven_table(tmp_path / raven_file_name(DAY)).empty


def _write(tmp_path, day, selections) -> dict[dt.date, pd.DataFrame]:
    """Each day file's table, written and read back through crowsetta."""
    parsed = {}
    for file_day, rows in tables_by_file(day, selection_table(day, selections)).items():
        path = tmp_path / raven_file_name(file_day)
        path.write_bytes(raven_text(rows))
        parsed[file_day] = assert_valid_raven_table(path)
    return parsed


def _at(start: str, seconds: float, score: float = 0.8, ids=("a",), source=SOURCE_ENCOUNTER) -> Selection:
    begin = pd.Timestamp(start)
    return Selection(begin, begin + pd.Timedelta(seconds=seconds), score, ids, (source,))


def test_a_selection_crossing_midnight_is_split_into_a_row_in_each_day_files_table(tmp_path):
    tables = _write(tmp_path, DAY, [_at("2023-09-14T23:59:50", 20.0, ids=("late",)), _at("2023-09-14T08:00:00", 5.0)])
    assert list(tables) == [DAY, dt.date(2023, 9, 15)]
    today, tomorrow = tables[DAY], tables[dt.date(2023, 9, 15)]
    assert today["begin_time_s"].tolist() == [8 * 3600.0, 86_390.0] and today["end_time_s"].tolist()[1] == 86_400.0
    assert today["Selection"].tolist() == [1, 2]
    assert tomorrow["Begin File"].tolist() == ["MARS-20230915T000000Z-16kHz.wav"]
    assert tomorrow["begin_time_s"].tolist() == [0.0] and tomorrow["end_time_s"].tolist() == [10.0]
    assert tomorrow["Selection"].tolist() == [1] and tomorrow["Encounter ID"].tolist() == ["late"]


def test_a_selection_before_the_days_midnight_goes_to_the_previous_files_table(tmp_path):
    tables = _write(tmp_path, DAY, [_at("2023-09-13T23:59:55", 10.0, ids=("early",))])
    assert tables[dt.date(2023, 9, 13)]["begin_time_s"].tolist() == [86_395.0]
    assert tables[DAY]["begin_time_s"].tolist() == [0.0] and tables[DAY]["end_time_s"].tolist() == [5.0]


def test_a_day_without_detections_still_has_its_own_files_table():
    assert list(tables_by_file(DAY, selection_table(DAY, []))) == [DAY]


def test_encounters_sharing_a_window_share_one_row_with_all_their_ids(tmp_path):
    times, scores = _track("2023-09-14T16:00:00", [0.1] * 3 + [0.9] * 6 + [0.1] * 3)
    runs = [r for eid in ("b", "a") for r in detected_runs(times, scores, DetectionRule(0.5, 3), encounter_ids=(eid,))]
    rows = _write(tmp_path, DAY, runs)[DAY]
    assert rows["Encounter ID"].tolist() == ["a;b"] and rows["Source"].tolist() == ["encounter"]


def test_encounter_and_full_day_runs_of_one_stretch_are_one_row_naming_both_sources(tmp_path):
    selections = [
        _at("2023-09-14T03:00:00", 30.0, 0.7, ("x",)),
        _at("2023-09-14T02:59:50", 60.0, 0.9, (), SOURCE_DAILY_SCORES),
        _at("2023-09-14T05:00:00", 10.0, 0.6, (), SOURCE_DAILY_SCORES),
        _at("2023-09-14T01:00:00", 10.0, 0.6, ("y",)),
    ]
    rows = _write(tmp_path, DAY, selections)[DAY]
    assert rows["Source"].tolist() == ["encounter", "daily_scores+encounter", "daily_scores"]
    assert rows["Encounter ID"].fillna("").tolist() == ["y", "x", ""]
    assert rows["begin_time_s"].tolist() == [3600.0, 3 * 3600 - 10.0, 5 * 3600.0]
    assert rows["end_time_s"].tolist()[1] == 3 * 3600 + 50.0 and rows["Confidence"].tolist()[1] == 0.9


def test_selections_that_only_touch_stay_two_rows():
    table = selection_table(DAY, [_at("2023-09-14T01:00:00", 10.0), _at("2023-09-14T01:00:10", 10.0)])
    assert table["Selection"].tolist() == [1, 2] and table["End Time (s)"][0] == table["Begin Time (s)"][1]


def test_the_checker_rejects_what_the_old_tables_did(tmp_path):
    path = tmp_path / raven_file_name(DAY)
    good = selection_table(DAY, [_at("2023-09-14T10:00:00", 10.0), _at("2023-09-14T11:00:00", 10.0)])
    past_the_end = good.assign(
        **{
            "Begin Time (s)": [86_390.0, 86_500.0],
            "End Time (s)": [86_395.0, 86_510.0],
            "File Offset (s)": [86_390.0, 86_500.0],
        }
    )
    overlapping = good.assign(
        **{"Begin Time (s)": [100.0, 105.0], "End Time (s)": [110.0, 115.0], "File Offset (s)": [100.0, 105.0]}
    )
    out_of_order = good.assign(Selection=[2, 1])
    for bad, problem in ((past_the_end, "after its file"), (overlapping, "overlap"), (out_of_order, "1..N")):
        path.write_bytes(raven_text(bad))
        with pytest.raises(AssertionError, match=problem):
            assert_valid_raven_table(path)
