import datetime as dt
import time

import pandas as pd
import pytest

from whale_assets.core.encounters.geo import destination
from whale_assets.core.encounters.table import (
    DROP_REASONS,
    ENCOUNTER_DTYPES,
    EXPORT_COLUMNS,
    empty_encounters,
    empty_export,
    read_export_csv,
    select_encounters,
)
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE

DAY = dt.date(2023, 6, 1)


def row(id: str, km: float = 5.0, **fields: str | None) -> dict[str, str | None]:
    """One export row `km` east of MARS, starting 2023-06-01 10:00:00 PDT (17:00 UTC)."""
    lat, lon = destination(MARS_LATITUDE, MARS_LONGITUDE, 90.0, km)
    base = dict.fromkeys(EXPORT_COLUMNS)
    base.update(
        latitude=repr(lat),
        longitude=repr(lon),
        startDate="2023-06-01",
        startTime="10:00:00",
        endDate="2023-06-01",
        endTime="11:30:00",
        timezone="-07:00",
        species="humpback_whale",
        displayImgUrl=f"https://example.org/{id}.jpg",
        id=id,
        approved="True",
    )
    base.update(fields)
    return base


def export(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=EXPORT_COLUMNS).astype(object)


def test_keeps_a_nearby_humpback_with_utc_times_and_original_local_text():
    result = select_encounters(export(row("e1", km=5.0, startTime="10:00:07", endTime="11:30")), DAY)
    table = result.table
    assert list(table["encounter_id"]) == ["e1"]
    first = table.iloc[0]
    assert first["date"] == pd.Timestamp("2023-06-01")
    assert first["start_utc"] == pd.Timestamp("2023-06-01 17:00:07")  # seconds kept
    assert first["end_utc"] == pd.Timestamp("2023-06-01 18:30:00")
    assert first["distance_km"] == pytest.approx(5.0, rel=1e-9)
    assert first["timezone"] == "-07:00" and first["start_local"] == "2023-06-01 10:00:07"
    assert first["encounter_img_url"] == "https://example.org/e1.jpg"
    assert result.counts["kept"] == 1 and result.counts["read"] == 1


def test_encounter_on_the_previous_local_day_that_starts_in_the_utc_day_is_kept():
    evening = row("prev", startDate="2023-05-31", startTime="20:15:30", endDate="2023-05-31", endTime="21:00")
    result = select_encounters(export(evening), DAY)
    assert list(result.table["encounter_id"]) == ["prev"]
    assert result.table["start_utc"][0] == pd.Timestamp("2023-06-01 03:15:30")
    assert result.table["start_local"][0] == "2023-05-31 20:15:30"


def test_local_evening_that_is_the_next_utc_day_belongs_to_the_next_day():
    evening = row("late", startTime="20:00:00", endTime="21:00:00")  # 03:00 UTC on 2 June
    assert select_encounters(export(evening), DAY).counts["outside_day"] == 1
    assert list(select_encounters(export(evening), DAY + dt.timedelta(days=1)).table["encounter_id"]) == ["late"]


def test_only_start_decides_the_day_and_the_day_is_half_open():
    rows = [
        row("at-midnight", startDate="2023-06-01", startTime="00:00:00", timezone="Z"),
        row(
            "ends-next-day",
            startDate="2023-06-01",
            startTime="23:59:59",
            timezone="Z",
            endDate="2023-06-02",
            endTime="01:00:00",
        ),
        row("next-midnight", startDate="2023-06-02", startTime="00:00:00", timezone="Z"),
    ]
    result = select_encounters(export(*rows), DAY)
    assert list(result.table["encounter_id"]) == ["at-midnight", "ends-next-day"]
    assert result.counts["outside_day"] == 1


def test_radius_filter_uses_great_circle_distance_from_the_centre():
    rows = [row("inside", km=19.9), row("outside", km=20.1)]
    assert list(select_encounters(export(*rows), DAY).table["encounter_id"]) == ["inside"]
    assert select_encounters(export(*rows), DAY).counts["outside_radius"] == 1
    assert len(select_encounters(export(*rows), DAY, radius_km=30.0).table) == 2
    far_centre = (MARS_LATITUDE + 1.0, MARS_LONGITUDE)
    assert select_encounters(export(*rows), DAY, center=far_centre).counts["outside_radius"] == 2


def test_each_drop_reason_is_counted_once_and_the_counts_add_up():
    rows = [
        row("ok"),
        row("no-species", species=None),
        row("dolphin", species="bottlenose_dolphin"),
        row(None),
        row("no-lat", latitude=None),
        row("blank-lon", longitude="  "),
        row("bad-lat", latitude="36.7N"),
        row("lat-range", latitude="136.7"),
        row("no-time", startTime=None),
        row("no-zone", timezone=None),
        row("bad-time", startTime="25:00"),
        row("bad-date", startDate="2023-06-31"),
        row("bad-zone", timezone="Mars/Olympus"),
        row("other-day", startDate="2023-06-03"),
        row("far", km=50.0),
        row("ok"),  # duplicate id
    ]
    counts = select_encounters(export(*rows), DAY).counts
    assert counts == {
        "read": 16,
        "dropped_missing_species": 1,
        "other_species": 1,
        "dropped_missing_id": 1,
        "dropped_missing_position": 2,
        "dropped_unparseable_position": 2,
        "dropped_missing_time": 2,
        "dropped_unparseable_time": 3,
        "outside_day": 1,
        "outside_radius": 1,
        "duplicate_id": 1,
        "end_missing_used_start": 0,
        "end_unparseable_used_start": 0,
        "end_before_start_clamped": 0,
        "duration_clipped": 0,
        "timezone_suspect": 0,
        "kept": 1,
    }
    assert sum(counts[k] for k in DROP_REASONS) + counts["kept"] == counts["read"]


def test_duplicate_ids_keep_the_first_row_in_input_order():
    rows = [row("dup", km=3.0), row("dup", km=4.0)]
    table = select_encounters(export(*rows), DAY).table
    assert len(table) == 1 and table["distance_km"][0] == pytest.approx(3.0)


def test_duplicates_keep_the_copy_with_the_most_information_wherever_it_is():
    # The same encounter in two export files; the later copy also has its end and thumbnail.
    rows = [row("dup", km=3.0, endDate=None, endTime=None), row("dup", km=4.0, displayThumbUrl="t.jpg")]
    result = select_encounters(export(*rows), DAY)
    assert len(result.table) == 1 and result.table["distance_km"][0] == pytest.approx(4.0)
    assert result.table["end_utc"][0] == pd.Timestamp("2023-06-01 18:30:00")
    assert result.counts["duplicate_id"] == 1 and result.counts["end_missing_used_start"] == 0


def test_a_bad_duplicate_does_not_hide_a_good_row():
    rows = [row("dup", startTime="nonsense"), row("dup")]
    result = select_encounters(export(*rows), DAY)
    assert len(result.table) == 1 and result.counts["dropped_unparseable_time"] == 1
    assert result.counts["duplicate_id"] == 0


def test_end_falls_back_to_start_and_never_precedes_it():
    rows = [
        row("no-end", endDate=None, endTime=None),
        row("bad-end", endTime="later"),
        row("end-before", endTime="09:00:00"),
        row("normal", startTime="10:00:01"),
    ]
    result = select_encounters(export(*rows), DAY)
    table = result.table.set_index("encounter_id")
    for id in ("no-end", "bad-end", "end-before"):
        assert table.loc[id, "end_utc"] == table.loc[id, "start_utc"]
    assert table.loc["normal", "end_utc"] == pd.Timestamp("2023-06-01 18:30:00")
    assert (
        result.counts["end_missing_used_start"],
        result.counts["end_unparseable_used_start"],
        result.counts["end_before_start_clamped"],
    ) == (1, 1, 1)


def test_a_row_with_an_end_but_no_start_is_dropped_and_counted():
    rows = [row("end-only", startDate=None, startTime=None), row("no-start-time", startTime=" "), row("ok")]
    result = select_encounters(export(*rows), DAY)
    assert list(result.table["encounter_id"]) == ["ok"]
    assert result.counts["dropped_missing_time"] == 2


def test_fractional_seconds_are_kept_in_start_and_end():
    result = select_encounters(export(row("frac", startTime="10:00:07.88", endTime="10:20:00.5")), DAY)
    first = result.table.iloc[0]
    assert first["start_utc"] == pd.Timestamp("2023-06-01 17:00:07.880")
    assert first["end_utc"] == pd.Timestamp("2023-06-01 17:20:00.500")
    assert first["start_local"] == "2023-06-01 10:00:07"


def test_offsets_that_disagree_with_the_zone_at_mars_are_applied_but_flagged_and_counted():
    rows = [
        row("pdt", timezone="-07:00"),
        row("pst-in-june", timezone="-08:00", startTime="09:00:00", endTime="10:00"),
        row("named", timezone="America/Los_Angeles"),
        row("europe", timezone="+01:00", startTime="23:00:00", startDate="2023-06-01", endTime="23:30"),
    ]
    result = select_encounters(export(*rows), DAY)
    table = result.table.set_index("encounter_id")
    assert table["timezone_suspect"].to_dict() == {"pdt": False, "pst-in-june": True, "named": False, "europe": True}
    assert table.loc["pst-in-june", "start_utc"] == pd.Timestamp("2023-06-01 17:00:00")  # -08:00 as written
    assert table.loc["europe", "start_utc"] == pd.Timestamp("2023-06-01 22:00:00")
    assert result.counts["timezone_suspect"] == 2 and result.counts["kept"] == 4


def test_sorted_by_start_then_id():
    rows = [row("b", startTime="12:00"), row("c", startTime="08:00"), row("a", startTime="12:00")]
    assert list(select_encounters(export(*rows), DAY).table["encounter_id"]) == ["c", "a", "b"]


def test_iana_and_fixed_offset_zones_mix_in_one_table():
    rows = [
        row("pdt", timezone="America/Los_Angeles"),
        row("ist", startTime="22:40:00", timezone="+05:30", endTime="23:00:00"),
    ]
    table = select_encounters(export(*rows), DAY).table.set_index("encounter_id")
    assert table.loc["pdt", "start_utc"] == pd.Timestamp("2023-06-01 17:00:00")
    assert table.loc["ist", "start_utc"] == pd.Timestamp("2023-06-01 17:10:00")


def test_dtypes_of_empty_and_non_empty_outputs_are_identical():
    expected = list(ENCOUNTER_DTYPES.items())
    non_empty = select_encounters(export(row("e1")), DAY).table
    all_dropped = select_encounters(export(row("far", km=99.0)), DAY).table
    from_empty_export = select_encounters(empty_export(), DAY).table
    for table in (empty_encounters(), non_empty, all_dropped, from_empty_export):
        assert [(c, str(t)) for c, t in table.dtypes.items()] == expected
    assert len(non_empty) == 1 and len(all_dropped) == 0 and len(from_empty_export) == 0


def test_non_string_input_columns_are_read_as_text():
    frame = export(row("e1"))
    frame["latitude"] = float(frame["latitude"][0])
    assert select_encounters(frame, DAY).counts["kept"] == 1


def test_missing_export_column_is_an_error_not_a_silent_drop():
    with pytest.raises(ValueError, match="startTime"):
        select_encounters(export(row("e1")).drop(columns=["startTime"]), DAY)


def test_tens_of_thousands_of_rows_are_selected_quickly():
    zones = ["-07:00", "America/Los_Angeles", "Z", "+0530"]
    rows = [
        row(f"e{i}", km=(i % 40) + 0.5, startTime=f"{i % 24:02d}:{i % 60:02d}:{i % 57:02d}", timezone=zones[i % 4])
        for i in range(400)
    ]
    big = pd.concat([export(*rows)] * 75, ignore_index=True)  # 30 000 rows
    big["id"] = [f"e{i}" for i in range(len(big))]
    started = time.perf_counter()
    result = select_encounters(big, DAY)
    assert time.perf_counter() - started < 10.0
    assert result.counts["read"] == 30_000
    assert sum(result.counts[k] for k in DROP_REASONS) + result.counts["kept"] == 30_000
    assert result.counts["outside_radius"] > 0 and result.counts["kept"] > 0


# --- read_export_csv -------------------------------------------------------------------------


def write_like_happywhale(path, rows: list[dict]) -> None:
    # The package builds a DataFrame of dicts and calls to_csv(index=False).
    pd.DataFrame(rows).to_csv(path, index=False)


def test_read_export_csv_reads_every_column_as_text_with_blanks_as_nan(tmp_path):
    path = tmp_path / "export.csv"
    write_like_happywhale(path, [row("0123", attrs="['a', 'b']", displayImgUrl=None)])
    table = read_export_csv(path)
    assert list(table.columns) == EXPORT_COLUMNS
    assert table["id"][0] == "0123"  # not the number 123
    assert isinstance(table["latitude"][0], str)
    assert table["attrs"][0] == "['a', 'b']"
    assert pd.isna(table["displayImgUrl"][0])
    assert select_encounters(table, DAY).counts["kept"] == 1


@pytest.mark.parametrize("content", ["", "\n"])
def test_empty_export_file_gives_zero_rows_with_export_columns(tmp_path, content):
    path = tmp_path / "nothing.csv"
    path.write_text(content)
    table = read_export_csv(path)
    assert len(table) == 0 and list(table.columns) == EXPORT_COLUMNS


@pytest.mark.parametrize(("extra", "found"), [(",surplus", "25"), (None, "23")])
def test_malformed_row_raises_naming_file_and_line(tmp_path, extra, found):
    path = tmp_path / "broken.csv"
    write_like_happywhale(path, [row("e1"), row("e2"), row("e3")])
    lines = path.read_text().splitlines()
    lines[2] = lines[2] + extra if extra else lines[2].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"broken\.csv: line 3: expected 24 fields .*found " + found) as error:
        read_export_csv(path)
    assert "re-export" in str(error.value)


def test_unterminated_quote_raises_naming_file_and_line(tmp_path):
    path = tmp_path / "quote.csv"
    path.write_text(",".join(EXPORT_COLUMNS) + "\n" + '"36.7,' + ",".join(["x"] * 23) + "\n")
    with pytest.raises(ValueError, match=r"quote\.csv: line \d+"):
        read_export_csv(path)


def test_file_that_is_not_an_export_is_rejected(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"other\.csv.*lacks Happywhale export columns"):
        read_export_csv(path)


# Issue 14, finding 6: an end date typed one day or centuries late must not make an unbounded window.


def test_an_encounter_longer_than_the_cap_is_kept_clipped_to_start_plus_the_cap_and_counted():
    late_by_a_day = row("day_late", endDate="2023-06-02")  # a 24.5 h "encounter"
    year_2261 = row("far_future", startTime="10:30:00", endDate="2261-06-01")
    normal = row("normal", startTime="11:00:00")
    result = select_encounters(export(late_by_a_day, year_2261, normal), DAY)
    table = result.table.set_index("encounter_id")
    duration = table["end_utc"] - table["start_utc"]
    assert duration["day_late"] == duration["far_future"] == pd.Timedelta(hours=6)
    assert duration["normal"] == pd.Timedelta(minutes=30)
    assert table["duration_clipped"].to_dict() == {"day_late": True, "far_future": True, "normal": False}
    assert result.counts["duration_clipped"] == 2 and result.counts["kept"] == 3


def test_the_duration_cap_is_configurable_and_an_encounter_exactly_at_it_is_not_clipped():
    result = select_encounters(export(row("e", endTime="11:00:00")), DAY, max_duration_s=3600.0)
    assert not result.table["duration_clipped"].any() and result.counts["duration_clipped"] == 0
    result = select_encounters(export(row("e", endTime="11:00:01")), DAY, max_duration_s=3600.0)
    assert result.table["end_utc"][0] == pd.Timestamp("2023-06-01 18:00:00")
    assert result.counts["duration_clipped"] == 1


@pytest.mark.parametrize("cap", [0.0, -1.0, float("nan"), float("inf")])
def test_a_duration_cap_that_is_not_a_positive_finite_number_is_refused(cap):
    with pytest.raises(ValueError, match="max_duration_s"):
        select_encounters(export(row("e")), DAY, max_duration_s=cap)


def test_an_end_before_the_start_is_kept_at_the_start_and_counted_not_clipped():
    result = select_encounters(export(row("e", endDate="2023-05-31")), DAY)
    assert result.table["end_utc"][0] == result.table["start_utc"][0]
    assert result.counts["end_before_start_clamped"] == 1 and result.counts["duration_clipped"] == 0
