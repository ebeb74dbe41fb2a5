import json
import os

import pandas as pd
import pytest

from whale_assets.core.encounters.table import EXPORT_COLUMNS
from whale_assets.sources.encounter_exports import (
    ExportProblem,
    ExportProblemKind,
    NoUsableExports,
    export_dir_signature,
    read_export_dir,
    read_export_folder,
)


def write_export(path, ids: list[str]) -> None:
    rows = [dict.fromkeys(EXPORT_COLUMNS, "x") | {"id": i} for i in ids]
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=EXPORT_COLUMNS).to_csv(path, index=False)


def test_reads_every_csv_recursively_in_sorted_path_order(tmp_path):
    write_export(tmp_path / "b.csv", ["b1"])
    write_export(tmp_path / "a" / "z.csv", ["a1", "a2"])
    (tmp_path / "notes.txt").write_text("not an export")
    table = read_export_dir(tmp_path)
    assert list(table["id"]) == ["a1", "a2", "b1"]
    assert list(table.columns) == EXPORT_COLUMNS and list(table.index) == [0, 1, 2]


def test_happywhales_no_hits_files_give_zero_rows_with_export_columns_and_no_problem(tmp_path):
    (tmp_path / "none.csv").write_text("\n")  # what geometry_search writes when nothing matched
    (tmp_path / "none.geojson").write_text('{"features": [], "type": "FeatureCollection"}')
    folder = read_export_folder(tmp_path)
    assert len(folder.table) == 0 and list(folder.table.columns) == EXPORT_COLUMNS
    assert folder.problems == () and folder.files == 2


def test_an_empty_directory_has_no_usable_export(tmp_path):
    with pytest.raises(NoUsableExports, match="no Happywhale export files"):
        read_export_dir(tmp_path)


@pytest.mark.parametrize("name", ["a.csv", "a.geojson"])
def test_a_zero_byte_export_is_an_empty_file_problem(tmp_path, name):
    write_export(tmp_path / "good.csv", ["g1"])
    (tmp_path / name).write_bytes(b"")
    folder = read_export_folder(tmp_path)
    assert list(folder.table["id"]) == ["g1"]
    assert folder.problems == (ExportProblem(name, ExportProblemKind.EMPTY_FILE),)


def test_a_header_only_csv_is_a_header_only_problem(tmp_path):
    write_export(tmp_path / "good.csv", ["g1"])
    write_export(tmp_path / "sub" / "head.csv", [])
    folder = read_export_folder(tmp_path)
    assert folder.problems == (ExportProblem("sub/head.csv", ExportProblemKind.HEADER_ONLY),)
    assert str(folder.problems[0]) == "sub/head.csv: header only, no rows"


def test_when_every_export_is_empty_the_read_fails_naming_each(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"")
    write_export(tmp_path / "b.csv", [])
    with pytest.raises(NoUsableExports) as raised:
        read_export_dir(tmp_path)
    assert "a.csv: empty file (0 bytes)" in str(raised.value)
    assert "b.csv: header only, no rows" in str(raised.value)
    assert isinstance(raised.value, ValueError)  # what the encounters asset fails without retrying on


def test_missing_directory_is_a_clear_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="export directory .*missing.* does not exist"):
        read_export_dir(tmp_path / "missing")


def test_a_malformed_file_stops_the_read_naming_it(tmp_path):
    write_export(tmp_path / "good.csv", ["g1"])
    (tmp_path / "bad.csv").write_text(",".join(EXPORT_COLUMNS) + "\n1,2\n")
    with pytest.raises(ValueError, match=r"bad\.csv: line 2"):
        read_export_dir(tmp_path)


def write_geojson_export(path, ids: list[str]) -> None:
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-122.15, 36.75]},
            "properties": {"id": i, "species": "humpback_whale", "startDate": "2023-07-03", "startTime": "19:23:55.88"},
        }
        for i in ids
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")


def test_a_folder_may_mix_csv_and_geojson_exports_read_in_sorted_path_order(tmp_path):
    write_export(tmp_path / "b.csv", ["b1"])
    write_geojson_export(tmp_path / "a.geojson", ["a1", "a2"])
    write_geojson_export(tmp_path / "c" / "d.geojson", ["d1"])
    (tmp_path / "search_area.json").write_text("{}")  # neither extension: not read
    table = read_export_dir(tmp_path)
    assert list(table["id"]) == ["a1", "a2", "b1", "d1"]
    assert list(table.columns) == EXPORT_COLUMNS
    assert table.loc[0, "latitude"] == "36.75" and table.loc[0, "startTime"] == "19:23:55.88"


def test_a_geojson_that_is_not_an_export_stops_the_read_naming_it(tmp_path):
    write_export(tmp_path / "good.csv", ["g1"])
    (tmp_path / "area.geojson").write_text('{"type": "Polygon", "coordinates": []}')
    with pytest.raises(ValueError, match=r"area\.geojson: not a GeoJSON FeatureCollection"):
        read_export_dir(tmp_path)


def test_the_signature_changes_when_a_geojson_export_is_added_or_changed(tmp_path):
    write_export(tmp_path / "a.csv", ["a1"])
    only_csv = export_dir_signature(tmp_path)
    write_geojson_export(tmp_path / "b.geojson", ["b1"])
    with_geojson = export_dir_signature(tmp_path)
    assert with_geojson != only_csv
    os.utime(tmp_path / "b.geojson", ns=(0, 1_000_000_000))
    assert export_dir_signature(tmp_path) not in (only_csv, with_geojson)
    (tmp_path / "b.geojson").unlink()
    assert export_dir_signature(tmp_path) == only_csv
