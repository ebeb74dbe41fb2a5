"""Happywhale GeoJSON exports (`geometry_search(..., export="x.geojson")`) as export tables.

A feature is one encounter: a Point geometry (lng, lat) and properties. The properties may
carry the CSV export's columns directly, or the API's nested shape that happywhale 0.0.3
writes (`dateRange.startTime`, `displayImage.url`, `license`, ...); both give the same row as
the CSV export would, every value as text.
"""

from __future__ import annotations

import json
from os import PathLike
from pathlib import Path

import pandas as pd

from whale_assets.core.encounters.table import empty_export, export_columns

# How happywhale 0.0.3 flattens the API's nested properties into its CSV columns.
NESTED_FIELDS: dict[str, tuple[str, str]] = {
    "startDate": ("dateRange", "startDate"),
    "startTime": ("dateRange", "startTime"),
    "endDate": ("dateRange", "endDate"),
    "endTime": ("dateRange", "endTime"),
    "timezone": ("dateRange", "timezone"),
    "displayImgId": ("displayImage", "id"),
    "displayThumbUrl": ("displayImage", "thumbUrl"),
    "displayImgType": ("displayImage", "type"),
    "displayImgUrl": ("displayImage", "url"),
}
RENAMED_FIELDS: dict[str, str] = {"displayImgLicense": "license"}
# Without these in any feature, the file is some other GeoJSON (a search area, say).
ENCOUNTER_FIELDS: list[str] = ["id", "species", "startDate"]


def read_export_geojson(path: str | PathLike[str]) -> pd.DataFrame:
    """One Happywhale GeoJSON export as `read_export_csv` gives a CSV one: every column text.

    An empty FeatureCollection gives a zero-row table; a file that is not a FeatureCollection
    of encounters raises ValueError naming the file (and the feature, where one is at fault).
    """
    path = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid GeoJSON ({exc}); re-export it from Happywhale.") from exc
    features = data.get("features") if isinstance(data, dict) and data.get("type") == "FeatureCollection" else None
    if not isinstance(features, list):
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection; is it a Happywhale export?")
    rows = [_export_row(feature, path, number) for number, feature in enumerate(features)]
    if not rows:
        return empty_export()
    table = pd.DataFrame(rows)
    return export_columns(
        table, ENCOUNTER_FIELDS, f"{path}: no feature has the Happywhale encounter properties", "geojson"
    )


def _export_row(feature: object, path: str, number: int) -> dict[str, str | None]:
    if not isinstance(feature, dict) or not isinstance(feature.get("properties") or {}, dict):
        raise ValueError(f"{path}: feature {number} is not a GeoJSON Feature with properties")
    properties = feature.get("properties") or {}
    row = {name: value for name, value in properties.items() if not isinstance(value, dict)}
    for column, (group, field) in NESTED_FIELDS.items():
        nested = properties.get(group)
        if column not in row and isinstance(nested, dict) and field in nested:
            row[column] = nested[field]
    for column, field in RENAMED_FIELDS.items():
        if column not in row and field in properties:
            row[column] = properties[field]
    point = _point(feature.get("geometry"))
    if point is not None:  # the geometry is where the package's own CSV takes the position from
        row["longitude"], row["latitude"] = point
    return {name: _as_text(value) for name, value in row.items()}


def _point(geometry: object) -> tuple[object, object] | None:
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return None  # no usable position: the row is counted as missing one, not guessed
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None
    return coordinates[0], coordinates[1]


def _as_text(value: object) -> str | None:
    """Text as pandas' `to_csv` would write it, so CSV and GeoJSON rows compare equal."""
    if value is None:
        return None
    if isinstance(value, float):
        return repr(value)
    return str(value)
