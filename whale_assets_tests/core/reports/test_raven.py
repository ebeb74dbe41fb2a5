"""Raven selection tables: runs above threshold, times on the day file, a table Raven reads back."""

import datetime as dt
import io

import numpy as np
import pandas as pd

from whale_assets.core.reports.raven import (
    RAVEN_COLUMNS,
    WINDOW_S,
    detected_runs,
    raven_file_name,
    raven_text,
    selection_table,
)
from whale_assets.core.scoring.pooling import filtered_by_stretch

DAY = dt.date(2023, 9, 14)
STEP_NS = 990_000_000


def _track(start: str, scores: list[float]) -> tuple[np.ndarray, np.ndarray]:
    times = np.datetime64(start, "ns") + np.arange(len(scores)) * np.timedelta64(STEP_NS, "ns")
    return times, np.asarray(scores, dtype=np.float32)


def test_a_run_spans_its_first_window_start_to_its_last_window_end():
    times, scores = _track("2023-09-14T16:00:00", [0.1] * 5 + [0.9] * 6 + [0.1] * 5)
    [run] = detected_runs(times, scores, threshold=0.5, kernel=3, encounter_id="sing")
    assert run.begin_utc == pd.Timestamp(times[5])
    assert run.end_utc == pd.Timestamp(times[10]) + pd.Timedelta(seconds=WINDOW_S)
    assert run.score == np.float32(0.9) and run.encounter_id == "sing"


def test_a_single_loud_window_is_no_selection_and_a_gap_splits_runs():
    times, scores = _track("2023-09-14T16:00:00", [0.1, 0.1, 0.95, 0.1, 0.1])
    assert detected_runs(times, scores, 0.5, 3) == []
    first, _ = _track("2023-09-14T16:00:00", [0.8] * 4)
    second, _ = _track("2023-09-14T16:10:00", [0.8] * 4)
    runs = detected_runs(np.r_[first, second], np.full(8, 0.8), 0.5, 3)
    assert [r.begin_utc for r in runs] == [pd.Timestamp(first[0]), pd.Timestamp(second[0])]


def test_the_written_table_reads_back_with_raven_columns_and_day_file_times():
    times, scores = _track("2023-09-14T16:00:00", [0.2] * 4 + [0.7, 0.8, 0.75, 0.9] + [0.1] * 4)
    runs = detected_runs(times, scores, 0.5, 3, encounter_id="sing")
    text = raven_text(selection_table(DAY, runs))
    back = pd.read_csv(io.StringIO(text.decode()), sep="\t", keep_default_na=False)
    assert tuple(back.columns) == RAVEN_COLUMNS
    filtered = filtered_by_stretch(times, scores, STEP_NS, 3)
    for row in back.itertuples(index=False):
        begin_s, end_s = row[3], row[4]
        assert row[1] == "Spectrogram 1" and row[2] == 1
        assert row[7] == "MARS-20230914T000000Z-16kHz.wav" and row[8] == begin_s
        start = (times - np.datetime64("2023-09-14", "ns")) / np.timedelta64(1, "s")
        inside = (start >= begin_s - 1e-6) & (start + WINDOW_S <= end_s + 1e-6)
        assert (filtered[inside] >= 0.5).all() and inside.any()
        assert abs(row[10] - filtered[inside].max()) < 1e-6
        assert row[9] == pd.Timestamp(times[inside][0]).strftime("%Y/%m/%d %H:%M:%S.%f")[:-3]
    assert raven_file_name(DAY) == "MARS-20230914T000000Z-16kHz.Table.1.selections.txt"


def test_a_day_without_detections_is_a_header_only_table():
    text = raven_text(selection_table(DAY, []))
    assert text.decode().rstrip("\n").split("\t") == list(RAVEN_COLUMNS)
