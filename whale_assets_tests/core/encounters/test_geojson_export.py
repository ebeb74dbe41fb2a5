import datetime as dt
import json

import pandas as pd
import pytest

from whale_assets.core.encounters.geo import destination
from whale_assets.core.encounters.geojson_export import read_export_geojson
from whale_assets.core.encounters.table import (
    EXPORT_COLUMNS,
    read_export_csv,
    select_encounters,
)
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE

DAY = dt.date(2023, 7, 4)
LAT, LON = destination(MARS_LATITUDE, MARS_LONGITUDE, 45.0, 6.0)


def flat_feature(encounter_id: str, **properties: object) -> dict:
    """A feature carrying the CSV export's columns as properties, typed as JSON types."""
    props = {
        "id": encounter_id,
        "species": "humpback_whale",
        "approved": True,
        "maxCount": 3,
        "startDate": "2023-07-03",
        "startTime": "19:23:55.88",
        "endDate": "2023-07-03",
        "endTime": "19:50:00",
        "timezone": "-08:00",
        "displayImgUrl": f"https://example.org/{encounter_id}.jpg",
        "orgIds": ["o1"],
    }
    props.update(properties)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [LON, LAT]}, "properties": props}


def happywhale_feature(encounter_id: str) -> dict:
    """A feature as happywhale 0.0.3 writes it: the API's nested properties."""
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [LON, LAT]},
        "properties": {
            "id": encounter_id,
            "species": "humpback_whale",
            "approved": True,
            "public": True,
            "dateRange": {
                "startDate": "2023-07-03",
                "startTime": "19:23:55.88",
                "endDate": "2023-07-03",
                "endTime": "19:50:00",
                "timezone": "-08:00",
            },
            "displayImage": {
                "id": 7,
                "thumbUrl": "t.jpg",
                "type": "IMAGE",
                "url": f"https://example.org/{encounter_id}.jpg",
            },
            "license": "PUBLIC",
            "accuracy": "EXACT",
            "system:time_start": 1688342400000,
        },
    }


def write_collection(path, features: list) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=2), encoding="utf-8")


def test_flat_properties_give_the_same_row_as_the_csv_export(tmp_path):
    write_collection(tmp_path / "e.geojson", [flat_feature("g1")])
    from_geojson = read_export_geojson(tmp_path / "e.geojson")
    row = from_geojson.iloc[0].to_dict()
    pd.DataFrame([row]).to_csv(tmp_path / "e.csv", index=False)  # the same encounter as a CSV export
    from_csv = read_export_csv(tmp_path / "e.csv")
    assert list(from_geojson.columns) == list(from_csv.columns) == EXPORT_COLUMNS
    assert from_geojson.iloc[0].fillna("").to_dict() == from_csv.iloc[0].fillna("").to_dict()
    assert row["latitude"] == repr(LAT) and row["longitude"] == repr(LON)  # from the Point
    assert row["approved"] == "True" and row["maxCount"] == "3" and row["orgIds"] == "['o1']"


def test_happywhales_own_nested_geojson_is_flattened_like_its_csv(tmp_path):
    write_collection(tmp_path / "hw.geojson", [happywhale_feature("h1")])
    row = read_export_geojson(tmp_path / "hw.geojson").iloc[0]
    assert (row["startTime"], row["timezone"], row["endTime"]) == ("19:23:55.88", "-08:00", "19:50:00")
    assert (row["displayImgUrl"], row["displayThumbUrl"], row["displayImgId"]) == (
        "https://example.org/h1.jpg",
        "t.jpg",
        "7",
    )
    assert row["displayImgLicense"] == "PUBLIC" and row["id"] == "h1"


def test_geojson_rows_are_selected_with_fractional_seconds_and_suspect_offsets(tmp_path):
    # -08:00 in July at Monterey: applied as written, flagged.
    write_collection(tmp_path / "hw.geojson", [happywhale_feature("h1")])
    result = select_encounters(read_export_geojson(tmp_path / "hw.geojson"), DAY)
    first = result.table.iloc[0]
    assert first["start_utc"] == pd.Timestamp("2023-07-04 03:23:55.880")
    assert bool(first["timezone_suspect"]) and result.counts["timezone_suspect"] == 1


def test_a_feature_without_a_point_is_counted_as_missing_its_position(tmp_path):
    no_point = flat_feature("line") | {"geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}
    write_collection(tmp_path / "e.geojson", [no_point, flat_feature("ok") | {"geometry": None}, flat_feature("g")])
    result = select_encounters(read_export_geojson(tmp_path / "e.geojson"), DAY)
    assert list(result.table["encounter_id"]) == ["g"]
    assert result.counts["dropped_missing_position"] == 2


def test_an_empty_collection_gives_zero_rows_with_export_columns(tmp_path):
    write_collection(tmp_path / "e.geojson", [])
    table = read_export_geojson(tmp_path / "e.geojson")
    assert len(table) == 0 and list(table.columns) == EXPORT_COLUMNS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid GeoJSON"),
        ('{"type": "Feature", "properties": {}}', "not a GeoJSON FeatureCollection"),
        ('{"type": "FeatureCollection", "features": [42]}', "feature 0 is not a GeoJSON Feature"),
        # The search-area file the live search writes is GeoJSON too, but not an export.
        (
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"radius_km": 20},'
            ' "geometry": {"type": "Polygon", "coordinates": []}}]}',
            "encounter properties",
        ),
    ],
)
def test_a_file_that_is_not_a_geojson_export_raises_naming_it(tmp_path, content, message):
    (tmp_path / "odd.geojson").write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"odd\.geojson: .*{message}"):
        read_export_geojson(tmp_path / "odd.geojson")
