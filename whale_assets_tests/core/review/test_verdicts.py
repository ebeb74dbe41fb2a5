import math

import pytest

from whale_assets.core.review.verdicts import ReviewError, Verdict, parse_verdict, verdict_column


@pytest.mark.parametrize(
    ("cell", "verdict"),
    [
        ("yes", Verdict.TRUE),
        ("Y", Verdict.TRUE),
        (" True ", Verdict.TRUE),
        ("1", Verdict.TRUE),
        ("no", Verdict.FALSE),
        ("FALSE", Verdict.FALSE),
        ("0", Verdict.FALSE),
        ("fp", Verdict.FALSE),
        ("unsure", Verdict.UNSURE),
        ("?", Verdict.UNSURE),
        ("Maybe", Verdict.UNSURE),
    ],
)
def test_common_spellings_of_a_verdict_are_accepted_in_any_case(cell, verdict):
    assert parse_verdict(cell, where="f.txt row 1") is verdict


@pytest.mark.parametrize("cell", [None, "", "   ", math.nan])
def test_a_blank_cell_is_a_detection_not_reviewed_yet(cell):
    assert parse_verdict(cell, where="f.txt row 1") is None


def test_an_unknown_verdict_names_the_file_row_and_value():
    with pytest.raises(ReviewError, match=r"reviews/2023-09-14\.txt row 7: unknown verdict 'perhaps'"):
        parse_verdict("perhaps", where="reviews/2023-09-14.txt row 7")


def test_the_verdict_column_is_found_whatever_its_case_and_position():
    assert verdict_column(["Selection", "View", "VERDICT", "Notes"], where="f") == "VERDICT"
    assert verdict_column(["Review", "Selection"], where="f") == "Review"


def test_a_table_without_a_verdict_column_is_refused_naming_the_file():
    with pytest.raises(ReviewError, match="day.txt: no verdict column"):
        verdict_column(["Selection", "Begin Time (s)"], where="day.txt")
