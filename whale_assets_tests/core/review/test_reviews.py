import datetime as dt

import pandas as pd
import pytest

from whale_assets.core.review.reviews import join_verdicts, read_review
from whale_assets.core.review.verdicts import ReviewError, Verdict

DAY = dt.date(2023, 9, 14)
HEADER = ("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tBegin File\t"
          "File Offset (s)\tBegin Date Time\tCommon Name\tScientific Name\tConfidence\tSource\tEncounter ID")


def raven_row(selection: int, begin_s: float, end_s: float, ids: str, confidence: float = 0.8) -> str:
    begin = pd.Timestamp(DAY) + pd.Timedelta(seconds=begin_s)
    return (f"{selection}\tSpectrogram 1\t1\t{begin_s}\t{end_s}\t100.0\t3000.0\tMARS-20230914T000000Z-16kHz.wav\t"
            f"{begin_s}\t{begin:%Y/%m/%d %H:%M:%S.%f}\tHumpback Whale\tMegaptera novaeangliae\t{confidence}\tencounter\t{ids}")


def stored_selections() -> pd.DataFrame:
    begins = [36000.0, 40000.0, 50000.0]
    ends = [36060.0, 40030.0, 50010.0]
    return pd.DataFrame(
        {
            "selection": [1, 2, 3],
            "begin_utc": [pd.Timestamp(DAY) + pd.Timedelta(seconds=s) for s in begins],
            "end_utc": [pd.Timestamp(DAY) + pd.Timedelta(seconds=s) for s in ends],
            "confidence": [0.9, 0.6, 0.55],
            "encounter_id": ["hw-1", "hw-2;hw-3", ""],
        }
    )


def test_a_raven_saved_review_with_extra_columns_in_another_order_joins_by_time():
    # Raven moves columns, renumbers, and adds its own (Delta Time, Begin Path); the analyst adds Verdict.
    lines = [HEADER + "\tVerdict", raven_row(1, 36000.0, 36060.0, "hw-1") + "\tyes",
             raven_row(2, 40000.0, 40030.0, "hw-2;hw-3") + "\tNo", raven_row(3, 50000.0, 50010.0, "") + "\t"]
    frame = pd.read_csv(pd.io.common.StringIO("\n".join(lines)), sep="\t", dtype=str, keep_default_na=False)
    frame.insert(0, "Delta Time (s)", "60.0")
    frame = frame[list(reversed(frame.columns))].iloc[::-1]
    text = frame.to_csv(sep="\t", index=False)

    rows = read_review(text, "reviews/2023-09-14/day.txt")
    joined = join_verdicts(rows, stored_selections(), DAY).sort_values("selection")

    assert joined["selection"].tolist() == [1, 2]  # the blank verdict is a row not reviewed yet
    assert joined["verdict"].tolist() == [Verdict.TRUE.value, Verdict.FALSE.value]
    assert joined["match"].tolist() == ["current", "current"]


def test_the_csv_export_edited_in_a_spreadsheet_joins_too():
    text = ("date,selection,begin_time_s,end_time_s,begin_file,file_offset_s,begin_date_time,confidence,encounter_id,verdict\n"
            "2023-09-14,2,40000.0,40030.0,MARS-20230914T000000Z-16kHz.wav,40000.0,2023-09-14 11:06:40,0.6,hw-2;hw-3,unsure\n")
    joined = join_verdicts(read_review(text, "r.csv"), stored_selections(), DAY)
    assert joined[["selection", "verdict", "match"]].values.tolist() == [[2, "unsure", "current"]]


def test_a_review_of_an_older_table_version_joins_as_stale():
    text = "\n".join([HEADER + "\tVerdict", raven_row(1, 35990.0, 36050.0, "hw-1") + "\tyes"])
    joined = join_verdicts(read_review(text, "old.txt"), stored_selections(), DAY)
    assert joined[["selection", "match"]].values.tolist() == [[1, "stale"]]


def test_a_row_matching_no_selection_fails_naming_file_and_line():
    text = "\n".join([HEADER + "\tVerdict", raven_row(1, 36000.0, 36060.0, "hw-1") + "\tyes",
                      raven_row(2, 70000.0, 70010.0, "") + "\tno"])
    with pytest.raises(ReviewError, match=r"day\.txt line 3: matches no selection of 2023-09-14"):
        join_verdicts(read_review(text, "day.txt"), stored_selections(), DAY)


def test_an_unknown_verdict_fails_naming_file_and_line():
    text = "\n".join([HEADER + "\tVerdict", raven_row(1, 36000.0, 36060.0, "hw-1") + "\tperhaps"])
    with pytest.raises(ReviewError, match=r"day\.txt line 2: unknown verdict 'perhaps'"):
        read_review(text, "day.txt")


def test_a_row_of_another_day_fails_saying_where_it_belongs():
    row = raven_row(1, 36000.0, 36060.0, "hw-1").replace("2023/09/14", "2023/09/20") + "\tyes"
    with pytest.raises(ReviewError, match=r"line 2: .*not near 2023-09-14; save the review .* reviews/2023-09-20/"):
        join_verdicts(read_review("\n".join([HEADER + "\tVerdict", row]), "day.txt"), stored_selections(), DAY)
