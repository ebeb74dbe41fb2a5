"""The `encounters` asset on a folder of real-looking Happywhale exports, every known quirk at once."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
from dagster import AssetKey, materialize

from whale_assets.assets.encounters import encounters
from whale_assets.definitions import build_resources
from whale_assets.demo.world import write_export
from whale_assets_tests.support.pipeline import query

DAY = "2023-07-04"


def csv_row(encounter_id: str, start_time: str | None, timezone: str, end_time: str | None = None) -> dict:
    return {
        "id": encounter_id,
        "species": "humpback_whale",
        "latitude": 36.75,
        "longitude": -122.15,
        "startDate": DAY if start_time else "",
        "startTime": start_time or "",
        "endDate": DAY if end_time else "",
        "endTime": end_time or "",
        "timezone": timezone,
        "displayImgUrl": f"https://example.org/{encounter_id}.jpg",
    }


def geojson_feature(encounter_id: str, start_time: str, end_time: str, timezone: str = "-07:00") -> dict:
    """As happywhale writes `export="*.geojson"`: nested dateRange and displayImage, a Point."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-122.15, 36.75]},
        "properties": {
            "id": encounter_id,
            "species": "humpback_whale",
            "approved": True,
            "dateRange": {
                "startDate": DAY,
                "startTime": start_time,
                "endDate": DAY,
                "endTime": end_time,
                "timezone": timezone,
            },
            "displayImage": {
                "id": 1,
                "thumbUrl": "t.jpg",
                "type": "IMAGE",
                "url": f"https://example.org/{encounter_id}.jpg",
            },
        },
    }


def write_quirky_exports(world) -> None:
    world.encounters_dir.mkdir(parents=True, exist_ok=True)
    write_export(
        world.encounters_dir / "2023-07-a.csv",
        [
            csv_row("frac", "09:15:30.88", "-07:00", "09:45:00"),  # fractional seconds
            csv_row("pst-in-july", "10:00:00", "-08:00", "10:30:00"),  # offset of the wrong season
            csv_row("plus-one", "14:00:00", "+01:00"),  # a Monterey encounter entered with a European offset
            csv_row("named", "11:00:00", "America/Los_Angeles", "11:10:00"),
            csv_row("end-only", None, "-07:00", "15:00:00"),  # an end but no start
            csv_row("dup", "12:00:00", "-07:00"),  # also in the GeoJSON file, with its end there
        ],
    )
    collection = {
        "type": "FeatureCollection",
        "features": [
            geojson_feature("dup", "12:00:00", "12:30:00"),
            geojson_feature("geo", "13:05:10.5", "13:20:00"),
        ],
    }
    (world.encounters_dir / "2023-07-b.geojson").write_text(json.dumps(collection, indent=2), encoding="utf-8")


def materialize_encounters(settings, instance):
    return materialize([encounters], partition_key=DAY, resources=build_resources(settings), instance=instance)


def test_a_folder_with_every_export_quirk_gives_one_flagged_row_per_encounter(world, instance):
    write_quirky_exports(world)
    settings = world.settings()
    assert materialize_encounters(settings, instance).success

    table = query(settings, "select * from encounters order by start_utc").set_index("encounter_id")
    assert list(table.index) == ["plus-one", "frac", "named", "pst-in-july", "dup", "geo"]
    assert table.loc["frac", "start_utc"] == pd.Timestamp("2023-07-04 16:15:30.880")
    assert table.loc["geo", "start_utc"] == pd.Timestamp("2023-07-04 20:05:10.500")
    assert table.loc["pst-in-july", "start_utc"] == pd.Timestamp("2023-07-04 18:00:00")  # applied as written
    assert table.loc["dup", "end_utc"] == pd.Timestamp("2023-07-04 19:30:00")  # the fuller copy
    assert table["timezone_suspect"].to_dict() == {
        "plus-one": True,
        "frac": False,
        "named": False,
        "pst-in-july": True,
        "dup": False,
        "geo": False,
    }
    event = instance.get_latest_materialization_event(AssetKey("encounters"))
    metadata = {k: v.value for k, v in event.asset_materialization.metadata.items()}
    assert metadata["rows_kept"] == 6
    assert metadata["rows_timezone_suspect"] == 2
    assert metadata["rows_duplicate_id"] == 1
    assert metadata["rows_dropped_missing_time"] == 1


def test_an_encounters_table_stored_before_the_flag_existed_takes_the_new_rows(world, instance):
    write_quirky_exports(world)
    settings = world.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.database)) as connection:
        connection.execute(
            "create table encounters (date timestamp, encounter_id varchar, species varchar, latitude double, "
            "longitude double, distance_km double, start_utc timestamp, end_utc timestamp, "
            "encounter_img_url varchar, timezone varchar, start_local varchar)"
        )
        connection.execute(
            "insert into encounters values ('2023-07-03', 'old', 'humpback_whale', 36.75, -122.15, 4.0, "
            "'2023-07-03 18:00', '2023-07-03 18:30', null, '-07:00', '2023-07-03 11:00:00')"
        )
    assert materialize_encounters(settings, instance).success
    flags = query(settings, "select encounter_id, timezone_suspect from encounters").set_index("encounter_id")[
        "timezone_suspect"
    ]
    assert len(flags) == 7 and pd.isna(flags["old"])  # the earlier day is kept, its flag unknown
    assert flags["plus-one"] == True and flags["frac"] == False  # noqa: E712 - nullable booleans
