import datetime as dt

import pandas as pd
import pytest

from whale_assets.core.review.reviews import join_verdicts, read_review
from whale_assets.core.review.verdicts import ReviewError, Verdict

DAY = dt.date(2023, 9, 14)
HEADER = (
    "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\tBegin File\t"
    "File Offset (s)\tBegin Date Time\tCommon Name\tScientific Name\tConfidence\tSource\tEncounter ID"
)


def raven_row(selection: int, begin_s: float, end_s: float, ids: str, confidence: float = 0.8) -> str:
    begin = pd.Timestamp(DAY) + pd.Timedelta(seconds=begin_s)
    return (
        f"{selection}\tSpectrogram 1\t1\t{begin_s}\t{end_s}\t100.0\t3000.0\tMARS-20230914T000000Z-16kHz.wav\t"
        f"{begin_s}\t{begin:%Y/%m/%d %H:%M:%S.%f}\tHumpback Whale\tMegaptera novaeangliae\t{confidence}\tencounter\t{ids}"
    )


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
    lines = [
        HEADER + "\tVerdict",
        raven_row(1, 36000.0, 36060.0, "hw-1") + "\tyes",
        raven_row(2, 40000.0, 40030.0, "hw-2;hw-3") + "\tNo",
        raven_row(3, 50000.0, 50010.0, "") + "\t",
    ]
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
    text = (
        "date,selection,begin_time_s,end_time_s,begin_file,file_offset_s,begin_date_time,confidence,encounter_id,verdict\n"
        "2023-09-14,2,40000.0,40030.0,MARS-20230914T000000Z-16kHz.wav,40000.0,2023-09-14 11:06:40,0.6,hw-2;hw-3,unsure\n"
    )
    joined = join_verdicts(read_review(text, "r.csv"), stored_selections(), DAY)
    assert joined[["selection", "verdict", "match"]].values.tolist() == [[2, "unsure", "current"]]


def test_a_review_of_an_older_table_version_joins_as_stale():
    text = "\n".join([HEADER + "\tVerdict", raven_row(1, 35990.0, 36050.0, "hw-1") + "\tyes"])
    joined = join_verdicts(read_review(text, "old.txt"), stored_selections(), DAY)
    assert joined[["selection", "match"]].values.tolist() == [[1, "stale"]]


def test_a_row_matching_no_selection_fails_naming_file_and_line():
    text = "\n".join(
        [
            HEADER + "\tVerdict",
            raven_row(1, 36000.0, 36060.0, "hw-1") + "\tyes",
            raven_row(2, 70000.0, 70010.0, "") + "\tno",
        ]
    )
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


def drawn_row(begin_s: float, end_s: float) -> str:
    """A selection the analyst drew in Raven: Raven fills its own times, not the platform's columns."""
    return f"\tSpectrogram 1\t1\t{begin_s}\t{end_s}\t100.0\t3000.0\t\t\t\t\t\t\t\t"


def whole_day_text(*extra: str, judged: tuple[int, ...] = (1, 2, 3)) -> str:
    rows = {
        1: raven_row(1, 36000.0, 36060.0, "hw-1") + "\tyes",
        2: raven_row(2, 40000.0, 40030.0, "hw-2;hw-3") + "\tno",
        3: raven_row(3, 50000.0, 50010.0, "") + "\tunsure",
    }
    return "\n".join([HEADER + "\tVerdict", *(rows[n] for n in judged), *extra])


def test_a_whole_day_review_keeps_song_the_analyst_added_as_a_miss():
    from whale_assets.core.review.reviews import join_day_reviews

    text = whole_day_text(drawn_row(60000.0, 60012.5) + "\tyes")
    name = "reviews/2023-09-14/MARS-20230914T000000Z-16kHz.whole-day.txt"
    joined = join_day_reviews({name: text.encode()}, set(), stored_selections(), DAY).sort_values("begin_utc")

    assert joined["match"].tolist() == ["current", "current", "current", "added"]
    assert joined["whole_day"].tolist() == [True] * 4
    added = joined.iloc[-1]
    assert (added["begin_utc"], added["end_utc"]) == (
        pd.Timestamp(DAY) + pd.Timedelta(seconds=60000),
        pd.Timestamp(DAY) + pd.Timedelta(seconds=60012.5),
    )
    assert added["verdict"] == "true" and pd.isna(added["selection"])


def test_an_ordinary_review_is_not_a_whole_day_review():
    from whale_assets.core.review.reviews import is_whole_day_review

    assert is_whole_day_review("reviews/2023-09-14/day.Whole_Day.txt") and is_whole_day_review("x/wholeday.csv")
    assert not is_whole_day_review("reviews/2023-09-14/MARS-20230914T000000Z-16kHz.Table.1.selections.txt")
    assert not is_whole_day_review("reviews/whole-day-notes/day.txt")  # the folder's name does not count


def test_a_whole_day_review_with_a_detection_left_unjudged_fails_naming_the_file():
    from whale_assets.core.review.reviews import join_day_reviews

    with pytest.raises(
        ReviewError,
        match=r"day\.whole-day\.txt: marked a whole-day review, but 1 of 2023-09-14's "
        r"detections have no verdict \(beginning 13:53:20",
    ):
        join_day_reviews({"day.whole-day.txt": whole_day_text(judged=(1, 2)).encode()}, set(), stored_selections(), DAY)


def test_a_drawn_selection_marked_no_in_a_whole_day_review_fails_naming_file_and_line():
    from whale_assets.core.review.reviews import join_day_reviews

    text = whole_day_text(drawn_row(60000.0, 60010.0) + "\tno")
    with pytest.raises(ReviewError, match=r"day\.whole-day\.txt line 5: a selection you drew .* says `no`"):
        join_day_reviews({"day.whole-day.txt": text.encode()}, set(), stored_selections(), DAY)


def test_a_review_that_is_not_utf8_fails_naming_the_file():
    from whale_assets.core.review.reviews import join_day_reviews

    with pytest.raises(ReviewError, match=r"day\.txt: not UTF-8 text"):
        join_day_reviews({"day.txt": b"Selection\tVerdict\n1\t\xff\n"}, set(), stored_selections(), DAY)
