import pandas as pd
import pytest

from whale_assets.core.encounters.windows import group_encounters, window_id_for


def t(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def group(rows, margin_s=600.0):
    ids, starts, ends = zip(*[(i, t(s), t(e)) for i, s, e in rows], strict=True) if rows else ((), (), ())
    return group_encounters(ids, starts, ends, margin_s)


def test_each_encounter_is_padded_by_the_margin_on_both_sides():
    [window] = group([("a", "2023-09-14 16:00:00", "2023-09-14 16:10:00")])
    assert window.start_utc == t("2023-09-14 15:50:00")
    assert window.end_utc == t("2023-09-14 16:20:00")
    assert window.encounter_ids == ("a",)


def test_overlapping_padded_encounters_share_one_window():
    windows = group(
        [("a", "2023-09-14 16:00:00", "2023-09-14 16:00:00"), ("b", "2023-09-14 16:15:00", "2023-09-14 16:16:00")]
    )
    assert [w.encounter_ids for w in windows] == [("a", "b")]
    assert windows[0].end_utc == t("2023-09-14 16:26:00")


def test_grouping_compares_against_the_grown_window_not_its_first_encounter():
    # c overlaps b's padding but not a's: an earlier system split it off.
    windows = group(
        [
            ("a", "2023-09-14 10:00:00", "2023-09-14 10:00:00"),
            ("b", "2023-09-14 10:15:00", "2023-09-14 10:15:00"),
            ("c", "2023-09-14 10:30:00", "2023-09-14 10:30:00"),
        ]
    )
    assert [w.encounter_ids for w in windows] == [("a", "b", "c")]
    assert windows[0].duration_s == 30 * 60 + 2 * 600


def test_separate_encounters_get_separate_windows_in_time_order():
    windows = group(
        [
            ("late", "2023-09-14 20:00:00", "2023-09-14 20:00:00"),
            ("early", "2023-09-14 08:00:00", "2023-09-14 08:05:00"),
        ]
    )
    assert [w.encounter_ids for w in windows] == [("early",), ("late",)]
    assert len({w.window_id for w in windows}) == 2


def test_windows_may_cross_midnight():
    [window] = group([("a", "2023-09-14 23:55:00", "2023-09-14 23:58:00")])
    assert window.end_utc == t("2023-09-15 00:08:00")


def test_an_end_before_the_start_is_treated_as_a_point():
    [window] = group([("a", "2023-09-14 12:00:00", "2023-09-14 11:00:00")], margin_s=60)
    assert (window.start_utc, window.end_utc) == (t("2023-09-14 11:59:00"), t("2023-09-14 12:01:00"))


def test_naive_timestamps_are_read_as_utc_and_ids_name_the_utc_start():
    [window] = group_encounters(["a"], [pd.Timestamp("2023-09-14 12:00:00")], [pd.Timestamp("2023-09-14 12:00:00")], 0)
    assert window.window_id == "20230914T120000Z" == window_id_for(t("2023-09-14 12:00:00"))


def test_no_encounters_means_no_windows():
    assert group([]) == []


def test_a_negative_margin_is_rejected():
    with pytest.raises(ValueError, match="margin_s"):
        group([("a", "2023-09-14 12:00:00", "2023-09-14 12:00:00")], margin_s=-1)
