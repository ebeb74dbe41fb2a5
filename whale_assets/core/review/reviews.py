"""Reviewed selection tables in, verdicts joined to the selections they judge.

A review is the platform's own Raven table saved by Raven (tab-separated, Raven's extra columns,
columns possibly reordered) or its CSV export edited in a spreadsheet (comma-separated, SQL-style
column names), with a verdict column added. Rows are matched to the day's stored selections by
time, never by row number: Raven renumbers and reorders, and a table may have been rebuilt since.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from enum import Enum

import pandas as pd

from whale_assets.core.review.verdicts import ReviewError, Verdict, parse_verdict, verdict_column

# A reviewed row whose begin and end are this close to a stored selection's is that selection.
SAME_TIME_S = 0.05
ENCOUNTER_ID_SEPARATOR = ";"


class Match(Enum):
    CURRENT = "current"  # the selection as stored now
    STALE = "stale"  # reviewed on an older version of the table: it overlaps a stored selection that changed since


@dataclass(frozen=True)
class ReviewedRow:
    file: str
    line: int  # the line of the file (header = 1), as an analyst finds it in an editor
    begin_utc: pd.Timestamp
    end_utc: pd.Timestamp
    encounter_ids: tuple[str, ...]
    verdict: Verdict
    table_day: dt.date | None = None  # the `Date` column of a multi-day table (a review sample)

    @property
    def where(self) -> str:
        return f"{self.file} line {self.line}"


def _key(column: str) -> str:
    """`Begin Date Time` and `begin_date_time` alike: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", column.lower())


def _table(text: str, name: str) -> pd.DataFrame:
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    separator = "\t" if "\t" in header else ","
    try:
        return pd.read_csv(
            io.StringIO(text.lstrip("\ufeff")), sep=separator, dtype=str, keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ReviewError(f"{name}: not a selection table ({error}); save it from Raven or as CSV") from None


def _seconds(value: str, where: str, column: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ReviewError(f"{where}: {column} {value!r} is not a number of seconds") from None


def _begin(row: pd.Series, columns: dict[str, str], where: str) -> pd.Timestamp:
    if "begindatetime" in columns and row[columns["begindatetime"]].strip():
        try:
            return pd.Timestamp(row[columns["begindatetime"]].strip().replace("/", "-"))
        except ValueError:
            raise ReviewError(f"{where}: Begin Date Time {row[columns['begindatetime']]!r} is not a date and time") from None
    if "beginfile" in columns and "fileoffsets" in columns:
        day = _file_day(row[columns["beginfile"]], where)
        return pd.Timestamp(day) + pd.Timedelta(seconds=_seconds(row[columns["fileoffsets"]], where, "File Offset (s)"))
    raise ReviewError(f"{where}: no Begin Date Time, nor Begin File with File Offset (s): keep the platform's columns")


def _file_day(file_name: str, where: str) -> dt.date:
    found = re.search(r"(\d{4})(\d{2})(\d{2})T000000Z", file_name)
    if not found:
        raise ReviewError(f"{where}: Begin File {file_name!r} is not an archive day file (MARS-YYYYMMDDT000000Z-16kHz.wav)")
    return dt.date(*map(int, found.groups()))


def read_review(text: str, name: str) -> list[ReviewedRow]:
    """The reviewed rows of one review file (blank verdicts skipped); ReviewError names file and line."""
    table = _table(text, name)
    columns = {_key(column): column for column in table.columns}
    verdict_name = verdict_column(list(table.columns), where=name)
    missing = [label for key, label in (("begintimes", "Begin Time (s)"), ("endtimes", "End Time (s)"))
               if key not in columns]
    if missing:
        raise ReviewError(f"{name}: the columns {', '.join(missing)} are missing; keep the platform's columns")
    rows = []
    for index, row in table.iterrows():
        where = f"{name} line {int(index) + 2}"
        verdict = parse_verdict(row[verdict_name], where=where)
        if verdict is None:
            continue
        duration = _seconds(row[columns["endtimes"]], where, "End Time (s)") - _seconds(
            row[columns["begintimes"]], where, "Begin Time (s)"
        )
        if duration <= 0:
            raise ReviewError(f"{where}: End Time (s) is not after Begin Time (s)")
        begin = _begin(row, columns, where)
        ids = row[columns["encounterid"]] if "encounterid" in columns else ""
        table_day = _table_day(row[columns["date"]], where) if "date" in columns else None
        rows.append(
            ReviewedRow(
                file=name,
                line=int(index) + 2,
                begin_utc=begin,
                end_utc=begin + pd.Timedelta(seconds=duration),
                encounter_ids=tuple(sorted(filter(None, (i.strip() for i in ids.split(ENCOUNTER_ID_SEPARATOR))))),
                verdict=verdict,
                table_day=table_day,
            )
        )
    return rows


def _table_day(value: str, where: str) -> dt.date:
    try:
        return pd.Timestamp(value.strip()).date()
    except ValueError:
        raise ReviewError(f"{where}: Date {value!r} is not a date (YYYY-MM-DD)") from None


def rows_of_day(rows: list[ReviewedRow], day: dt.date) -> list[ReviewedRow]:
    """The rows of a multi-day review (one not filed under a day) that judge `day`'s table."""
    return [row for row in rows if (row.table_day or row.begin_utc.date()) == day]


def join_verdicts(rows: list[ReviewedRow], selections: pd.DataFrame, day: dt.date) -> pd.DataFrame:
    """Each reviewed row with the stored selection it judges (`selections`: `begin_utc`, `end_utc`
    and the stored columns); a row of another day, or overlapping no selection, is a ReviewError."""
    joined = []
    for row in rows:
        if row.end_utc <= pd.Timestamp(day) - pd.Timedelta(days=1) or row.begin_utc >= pd.Timestamp(day) + pd.Timedelta(days=2):
            raise ReviewError(
                f"{row.where}: the selection begins {row.begin_utc:%Y-%m-%d %H:%M:%S} UTC, not near {day}; "
                f"save the review of that day's table under reviews/{row.begin_utc:%Y-%m-%d}/"
            )
        overlap = (selections["begin_utc"] < row.end_utc) & (selections["end_utc"] > row.begin_utc)
        if not overlap.any():
            raise ReviewError(
                f"{row.where}: matches no selection of {day}'s raven_selections "
                f"({row.begin_utc:%H:%M:%S}-{row.end_utc:%H:%M:%S} UTC); was it reviewed from another day's table?"
            )
        candidates = selections[overlap]
        shared = candidates["end_utc"].clip(upper=row.end_utc) - candidates["begin_utc"].clip(lower=row.begin_utc)
        best = candidates.loc[shared.idxmax()]
        same = (abs((best["begin_utc"] - row.begin_utc).total_seconds()) <= SAME_TIME_S
                and abs((best["end_utc"] - row.end_utc).total_seconds()) <= SAME_TIME_S)
        joined.append(
            {
                **best.to_dict(),
                "review_file": row.file,
                "review_line": row.line,
                "reviewed_begin_utc": row.begin_utc,
                "reviewed_end_utc": row.end_utc,
                "verdict": row.verdict.value,
                "match": (Match.CURRENT if same else Match.STALE).value,
            }
        )
    return pd.DataFrame(joined)
