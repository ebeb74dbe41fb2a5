import datetime as dt

import pandas as pd
import pytest

from whale_assets.core.encounters.local_time import (
    local_dates_to_search,
    local_to_utc,
    localize_to_utc,
    offsets_disagree_with_zone,
    parse_local_times,
    parse_timezone,
)


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("-08:00", "2023-01-15 18:49:30"),
        ("-0800", "2023-01-15 18:49:30"),
        ("-8", "2023-01-15 18:49:30"),
        ("+05:30", "2023-01-15 05:19:30"),
        ("+0530", "2023-01-15 05:19:30"),
        ("+14:00", "2023-01-14 20:49:30"),
        ("-12:00", "2023-01-15 22:49:30"),
        ("Z", "2023-01-15 10:49:30"),
        ("UTC", "2023-01-15 10:49:30"),
        ("UTC-08:00", "2023-01-15 18:49:30"),
    ],
)
def test_fixed_offsets_are_subtracted_from_local_time(zone, expected):
    assert local_to_utc("2023-01-15", "10:49:30", zone) == utc(expected)


def test_result_is_a_utc_aware_timestamp():
    result = local_to_utc("2023-01-15", "10:49:30", "-08:00")
    assert isinstance(result, pd.Timestamp) and str(result.tz) == "UTC"


def test_seconds_are_kept_and_hh_mm_means_zero_seconds():
    assert local_to_utc("2023-06-01", "16:49:30", "-07:00") == utc("2023-06-01 23:49:30")
    assert local_to_utc("2023-06-01", "16:49", "-07:00") == utc("2023-06-01 23:49:00")


@pytest.mark.parametrize(
    ("time", "expected"),
    [
        ("19:23:55.88", "2023-07-04 02:23:55.880"),
        ("19:23:55.5", "2023-07-04 02:23:55.500"),
        ("19:23:55,25", "2023-07-04 02:23:55.250"),
        ("19:23:55.123456789", "2023-07-04 02:23:55.123456"),  # cut to the microsecond
    ],
)
def test_fractional_seconds_of_real_exports_are_kept(time, expected):
    assert local_to_utc("2023-07-03", time, "-07:00") == utc(expected)
    local = parse_local_times(pd.Series(["2023-07-03"]), pd.Series([time]))
    assert localize_to_utc(local, pd.Series(["-07:00"]))[0] == utc(expected)


def test_local_evening_is_the_next_utc_day():
    assert local_to_utc("2023-06-01", "20:00:05", "-07:00") == utc("2023-06-02 03:00:05")


def test_iana_zone_follows_daylight_saving_in_summer_and_winter():
    assert local_to_utc("2023-07-01", "12:00", "America/Los_Angeles") == utc("2023-07-01 19:00")
    assert local_to_utc("2023-01-01", "12:00", "America/Los_Angeles") == utc("2023-01-01 20:00")


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        # Spring forward, 2023-03-12: 02:00 PST jumps to 03:00 PDT.
        ("2023-03-12", "01:59:59", "2023-03-12 09:59:59"),  # last second of PST
        ("2023-03-12", "03:00:00", "2023-03-12 10:00:00"),  # first second of PDT
        ("2023-03-12", "02:30:00", "2023-03-12 10:30:00"),  # nonexistent: read with PST (pre-jump)
        # Fall back, 2023-11-05: 02:00 PDT returns to 01:00 PST.
        ("2023-11-05", "00:59:59", "2023-11-05 07:59:59"),  # PDT
        ("2023-11-05", "01:30:00", "2023-11-05 08:30:00"),  # ambiguous: first occurrence (PDT)
        ("2023-11-05", "02:00:00", "2023-11-05 10:00:00"),  # PST
    ],
)
def test_iana_zone_on_both_sides_of_a_dst_change(date, time, expected):
    assert local_to_utc(date, time, "America/Los_Angeles") == utc(expected)


def test_southern_hemisphere_dst_runs_the_other_way():
    assert local_to_utc("2023-01-15", "12:00", "Australia/Sydney") == utc("2023-01-15 01:00")  # AEDT +11
    assert local_to_utc("2023-07-15", "12:00", "Australia/Sydney") == utc("2023-07-15 02:00")  # AEST +10


@pytest.mark.parametrize(
    ("date", "time", "zone", "named"),
    [
        ("2023-13-01", "10:00", "Z", "'2023-13-01'"),
        ("2023-02-30", "10:00", "Z", "'2023-02-30'"),
        ("01/06/2023", "10:00", "Z", "'01/06/2023'"),
        ("2023-06-01", "10:61", "Z", "'10:61'"),
        ("2023-06-01", "24:00:00", "Z", "'24:00:00'"),
        ("2023-06-01", "10am", "Z", "'10am'"),
        ("2023-06-01", "10:00", "+15:00", "'\\+15:00'"),
        ("2023-06-01", "10:00", "-08:75", "'-08:75'"),
        ("2023-06-01", "10:00", "Pacific/Atlantis", "'Pacific/Atlantis'"),
        ("2023-06-01", "10:00", "", "''"),
    ],
)
def test_bad_values_raise_value_error_naming_them(date, time, zone, named):
    with pytest.raises(ValueError, match=named):
        local_to_utc(date, time, zone)


def test_parse_timezone_is_cached_per_zone_string():
    parse_timezone.cache_clear()
    for _ in range(3):
        parse_timezone("America/Los_Angeles")
    assert parse_timezone.cache_info().hits == 2


def test_parse_local_times_gives_nat_for_malformed_or_missing_values():
    dates = pd.Series(["2023-06-01", "2023-06-01", None, "2023-02-30", " 2023-06-01 "])
    times = pd.Series(["7:05", "10:00:00x", "10:00", "10:00", " 16:49:30 "])
    out = parse_local_times(dates, times)
    assert str(out.dtype) == "datetime64[ns]"
    assert out[0] == pd.Timestamp("2023-06-01 07:05:00")
    assert out[[1, 2, 3]].isna().all()
    assert out[4] == pd.Timestamp("2023-06-01 16:49:30")


def test_vectorised_conversion_matches_the_scalar_rule_around_dst_changes():
    zones = ["America/Los_Angeles", "Australia/Lord_Howe", "Europe/London", "-08:00", "+0545"]
    days = ["2023-03-12", "2023-04-02", "2023-10-01", "2023-03-26", "2023-10-29", "2023-11-05"]
    rows = [
        (day, f"{h:02d}:{m:02d}:07", zone)
        for zone in zones
        for day in days
        for h in range(0, 4)
        for m in range(0, 60, 15)
    ]
    dates, times, tz = (pd.Series(column) for column in zip(*rows, strict=True))
    vectorised = localize_to_utc(parse_local_times(dates, times), tz)
    assert list(vectorised) == [local_to_utc(*row) for row in rows]


def test_vectorised_conversion_gives_nat_for_unknown_zones():
    local = pd.Series(pd.to_datetime(["2023-06-01 10:00", "2023-06-01 10:00"]))
    out = localize_to_utc(local, pd.Series(["Mars/Olympus", "Z"]))
    assert pd.isna(out[0]) and out[1] == utc("2023-06-01 10:00")


def test_local_dates_to_search_cover_every_zone_whatever_the_end_convention():
    day = dt.date(2023, 6, 1)
    start, end = local_dates_to_search(day)
    day_start = pd.Timestamp(day, tz="UTC")
    instants = [
        day_start,
        day_start + pd.Timedelta(hours=12),
        day_start + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
    ]
    for minutes in range(-12 * 60, 14 * 60 + 1, 15):
        for instant in instants:
            local_date = (instant + pd.Timedelta(minutes=minutes)).date()
            # Inside [start, end) also means inside [start, end]: either convention finds it.
            assert start <= local_date < end, (minutes, instant)
    assert (start, end) == (dt.date(2023, 5, 31), dt.date(2023, 6, 3))


# --- offsets_disagree_with_zone ---------------------------------------------------------------


def suspect(date_time: str, zone: str) -> bool:
    local = pd.Series([pd.Timestamp(date_time)])
    return bool(offsets_disagree_with_zone(local, pd.Series([zone]), "America/Los_Angeles")[0])


@pytest.mark.parametrize(
    ("date_time", "zone", "expected"),
    [
        ("2023-07-15 10:00:00", "-07:00", False),  # PDT in July
        ("2023-07-15 10:00:00", "-08:00", True),  # PST written in July: the real exports' mistake
        ("2023-01-15 10:00:00", "-08:00", False),
        ("2023-01-15 10:00:00", "-07:00", True),
        ("2023-07-15 10:00:00", "+01:00", True),  # a Monterey encounter entered from Europe
        ("2023-07-15 10:00:00", "Z", True),
        ("2023-07-15 10:00:00", "America/Los_Angeles", False),
        ("2023-01-15 10:00:00", "US/Pacific", False),  # another name with the same offsets
        ("2023-07-15 10:00:00", "Europe/Paris", True),
        ("2023-11-05 01:30:00", "-07:00", False),  # ambiguous hour: both offsets are real
        ("2023-11-05 01:30:00", "-08:00", False),
        ("2023-03-12 02:30:00", "-08:00", False),  # skipped hour: either side is accepted
    ],
)
def test_a_written_offset_is_suspect_when_the_positions_zone_has_another_then(date_time, zone, expected):
    assert suspect(date_time, zone) is expected


def test_the_positions_own_zone_name_is_never_suspect_even_in_a_skipped_hour():
    assert suspect("2023-03-12 02:30:00", "America/Los_Angeles") is False


def test_missing_times_and_unknown_zones_are_not_flagged():
    local = pd.Series([pd.NaT, pd.Timestamp("2023-07-15 10:00")], index=[5, 7])
    flags = offsets_disagree_with_zone(
        local, pd.Series(["-08:00", "Mars/Olympus"], index=[5, 7]), "America/Los_Angeles"
    )
    assert flags.dtype == bool and list(flags.index) == [5, 7] and not flags.any()
