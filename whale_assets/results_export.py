"""`whale-assets export`: one results table over a range of UTC days, to a Parquet or CSV file.

Rows are read through the `sql` command's read-only, sandboxed connection (`run_query`), which
cannot write files; the file is written here, by pyarrow (Parquet) or pandas (CSV), atomically.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from whale_assets.results_sql import ResultsUnavailable, run_query
from whale_assets.storage.layout import PARTITION_COLUMN

ExportFormat = Literal["parquet", "csv"]
TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def export_table(
    table: str,
    first_day: dt.date,
    last_day: dt.date,
    out: str | Path,
    output_format: ExportFormat,
    database: str | Path | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Write `table`'s rows for the days [first_day, last_day] to `out`; the number of rows written."""
    if not TABLE_NAME.match(table):
        raise ResultsUnavailable(f"{table!r} is not a table name (lower-case letters, digits and _)")
    if last_day < first_day:
        raise ResultsUnavailable(f"--to {last_day} is before --from {first_day}")
    if Path(out).is_dir():
        raise ResultsUnavailable(
            f"{out} is a directory: give a file to write, e.g. {Path(out) / table}.{output_format}"
        )
    # Both values are checked above (a table name, two dates): nothing outside can reach the SQL.
    query = (
        f"select * from {table} where \"{PARTITION_COLUMN}\" >= date '{first_day}' "
        f'and "{PARTITION_COLUMN}" < date \'{last_day + dt.timedelta(days=1)}\' order by "{PARTITION_COLUMN}"'
    )
    frame = run_query(query, database, env)
    _write_atomically(Path(out), frame, output_format)
    return len(frame)


def _write_atomically(out: Path, frame: pd.DataFrame, output_format: ExportFormat) -> None:
    try:
        _replace(out, frame, output_format)
    except OSError as error:  # a folder that is a file, no permission, a full disk: named, no traceback
        raise ResultsUnavailable(f"cannot write {out}: {error.strerror or error}") from error


def _replace(out: Path, frame: pd.DataFrame, output_format: ExportFormat) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        if output_format == "parquet":
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), temporary)
        else:
            frame.to_csv(temporary, index=False)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomically(out: Path, data: bytes) -> None:
    """Write `data` to `out` through a temporary file beside it, so readers see all of it or nothing."""
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)
