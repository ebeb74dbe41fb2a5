"""Read a written Raven selection table with an independent reader (crowsetta) and assert what Raven needs.

Any test that writes a Raven table calls `assert_valid_raven_table` on the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import crowsetta
import pandas as pd

DAY_FILE_S = 86_400.0
DAY_FILE = re.compile(r"MARS-(\d{8})T000000Z-16kHz\.wav")
TOLERANCE_S = 1e-6  # the table keeps microseconds


def assert_valid_raven_table(path: Path | str) -> pd.DataFrame:
    """The table's rows as crowsetta parsed them (empty for a header-only table), after asserting:

    the table is the table of one day file: every row's `Begin File` is the sound the table's file
    name names, and `Begin Time (s)` equals `File Offset (s)`; every selection lies inside that file
    (0 <= File Offset, File Offset + duration <= 86 400 s); no two rows overlap; rows are in time
    order and `Selection` runs 1..N; every row has a species (`Common Name`), a `Confidence` in
    [0, 1] and a `Source`.
    """
    path = Path(path)
    header = path.read_text().split("\n", 1)[0].split("\t")
    for column in (
        "Selection",
        "View",
        "Channel",
        "Begin Time (s)",
        "End Time (s)",
        "Low Freq (Hz)",
        "High Freq (Hz)",
        "Begin File",
        "File Offset (s)",
        "Common Name",
        "Confidence",
        "Source",
    ):
        assert column in header, f"{path.name}: no {column!r} column"
    if len(path.read_text().rstrip("\n").split("\n")) == 1:
        return pd.DataFrame(columns=header)  # crowsetta refuses a table without rows
    parsed = crowsetta.formats.bbox.Raven.from_file(path, annot_col="Common Name")
    rows = parsed.df
    assert len(parsed.to_bbox()) == len(rows)  # crowsetta validates each box (onset < offset, low < high)
    assert list(rows["Selection"]) == list(range(1, len(rows) + 1)), "Selection is not 1..N"
    begin, end = rows["begin_time_s"].to_numpy(float), rows["end_time_s"].to_numpy(float)
    assert (end > begin).all(), "a selection ends before it begins"
    assert (begin[1:] >= begin[:-1]).all(), "rows are not in time order"
    assert (begin[1:] >= end[:-1] - TOLERANCE_S).all(), "two rows overlap"
    sound = path.name.replace(".Table.1.selections.txt", ".wav")
    assert DAY_FILE.fullmatch(sound), f"{path.name} is not named after an archive day file"
    assert set(rows["Begin File"]) == {sound}, f"{path.name} holds rows of other files"
    offset = rows["File Offset (s)"].to_numpy(float)
    assert (abs(offset - begin) <= TOLERANCE_S).all(), "Begin Time and File Offset disagree"
    assert (offset >= -TOLERANCE_S).all(), "a selection begins before its file"
    assert (offset + (end - begin) <= DAY_FILE_S + TOLERANCE_S).all(), "a selection ends after its file"
    assert (rows["annotation"] != "").all() and rows["annotation"].notna().all(), "a row without species"
    assert rows["Confidence"].between(0, 1).all(), "Confidence outside [0, 1]"
    assert rows["Source"].notna().all(), "a row without Source"
    return rows
