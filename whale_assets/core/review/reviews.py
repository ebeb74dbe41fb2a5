"""Reviewed selection tables in, verdicts joined to the selections they judge.

A review is the platform's own Raven table saved by Raven (tab-separated, Raven's extra columns,
columns possibly reordered) or its CSV export edited in a spreadsheet (comma-separated, SQL-style
column names), with a verdict column added. Rows are matched to the day's stored selections by
time, never by row number: Raven renumbers and reorders, and a table may have been rebuilt since.

A **whole-day review** is one whose file name says so (`whole-day`, `whole_day` or `wholeday` in
it, e.g. `MARS-20230914T000000Z-16kHz.whole-day.txt`): the analyst listened to the whole day, judged
every detection of it, and added a selection (verdict yes) for each song the detector missed. Such
added rows are kept as misses (`match = 'added'`), which is what recall needs.
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
# A file name holding one of these (case-insensitive) is a whole-day review.
WHOLE_DAY_MARK = re.compile(r"whole[-_]?day", re.IGNORECASE)


class Match(Enum):
    CURRENT = "current"  # the selection as stored now
    STALE = "stale"  # reviewed on an older version of the table: it overlaps a stored selection that changed since
    ADDED = "added"  # in a whole-day review, a selection the analyst drew: song the detector missed


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
            io.StringIO(text.lstrip("\ufeff")),
            sep=separator,
            dtype=str,
            keep_default_na=False,
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise ReviewError(f"{name}: not a selection table ({error}); save it from Raven or as CSV") from None


def _seconds(value: str, where: str, column: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ReviewError(f"{where}: {column} {value!r} is not a number of seconds") from None


def is_whole_day_review(name: str) -> bool:
    """Whether the review file `name` says its day's audio was reviewed in full (see the module docstring)."""
    return bool(WHOLE_DAY_MARK.search(name.rsplit("/", 1)[-1]))


def _begin(row: pd.Series, columns: dict[str, str], where: str, file_day: dt.date | None) -> pd.Timestamp:
    if "begindatetime" in columns and row[columns["begindatetime"]].strip():
        try:
            return pd.Timestamp(row[columns["begindatetime"]].strip().replace("/", "-"))
        except ValueError:
            raise ReviewError(
                f"{where}: Begin Date Time {row[columns['begindatetime']]!r} is not a date and time"
            ) from None
    if "beginfile" in columns and "fileoffsets" in columns and row[columns["beginfile"]].strip():
        day = _file_day(row[columns["beginfile"]], where)
        return pd.Timestamp(day) + pd.Timedelta(seconds=_seconds(row[columns["fileoffsets"]], where, "File Offset (s)"))
    if file_day is not None:
        # A selection the analyst drew in Raven may lack the measurements above: Raven's own
        # Begin Time (s) is then seconds into the day file the table describes.
        return pd.Timestamp(file_day) + pd.Timedelta(
            seconds=_seconds(row[columns["begintimes"]], where, "Begin Time (s)")
        )
    raise ReviewError(f"{where}: no Begin Date Time, nor Begin File with File Offset (s): keep the platform's columns")


def _file_day(file_name: str, where: str) -> dt.date:
    found = re.search(r"(\d{4})(\d{2})(\d{2})T000000Z", file_name)
    if not found:
        raise ReviewError(
            f"{where}: Begin File {file_name!r} is not an archive day file (MARS-YYYYMMDDT000000Z-16kHz.wav)"
        )
    return dt.date(*map(int, found.groups()))


def read_review(text: str, name: str, file_day: dt.date | None = None) -> list[ReviewedRow]:
    """The reviewed rows of one review file (blank verdicts skipped); ReviewError names file and line.

    `file_day`: the day file the table describes, for rows with neither Begin Date Time nor Begin File
    (selections an analyst drew), where the file's name holds no day-file stamp.
    """
    table = _table(text, name)
    file_day = _day_in_name(name) or file_day
    columns = {_key(column): column for column in table.columns}
    verdict_name = verdict_column(list(table.columns), where=name)
    missing = [
        label for key, label in (("begintimes", "Begin Time (s)"), ("endtimes", "End Time (s)")) if key not in columns
    ]
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
        begin = _begin(row, columns, where, file_day)
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


def _day_in_name(name: str) -> dt.date | None:
    found = re.search(r"(\d{4})(\d{2})(\d{2})T000000Z", name.rsplit("/", 1)[-1])
    return dt.date(*map(int, found.groups())) if found else None


def _table_day(value: str, where: str) -> dt.date:
    try:
        return pd.Timestamp(value.strip()).date()
    except ValueError:
        raise ReviewError(f"{where}: Date {value!r} is not a date (YYYY-MM-DD)") from None


def rows_of_day(rows: list[ReviewedRow], day: dt.date) -> list[ReviewedRow]:
    """The rows of a multi-day review (one not filed under a day) that judge `day`'s table."""
    return [row for row in rows if (row.table_day or row.begin_utc.date()) == day]


def join_verdicts(
    rows: list[ReviewedRow], selections: pd.DataFrame, day: dt.date, whole_day: bool = False
) -> pd.DataFrame:
    """Each reviewed row with the stored selection it judges (`selections`: `begin_utc`, `end_utc`
    and the stored columns); a row of another day is a ReviewError, and so is one overlapping no
    selection, except in a whole-day review, where a yes (or unsure) row there is song the detector
    missed (`match = 'added'`)."""
    joined = []
    for row in rows:
        if row.end_utc <= pd.Timestamp(day) - pd.Timedelta(days=1) or row.begin_utc >= pd.Timestamp(day) + pd.Timedelta(
            days=2
        ):
            raise ReviewError(
                f"{row.where}: the selection begins {row.begin_utc:%Y-%m-%d %H:%M:%S} UTC, not near {day}; "
                f"save the review of that day's table under reviews/{row.begin_utc:%Y-%m-%d}/"
            )
        overlap = (selections["begin_utc"] < row.end_utc) & (selections["end_utc"] > row.begin_utc)
        reviewed = {
            "review_file": row.file,
            "review_line": row.line,
            "reviewed_begin_utc": row.begin_utc,
            "reviewed_end_utc": row.end_utc,
            "verdict": row.verdict.value,
            "whole_day": whole_day,
        }
        if not overlap.any():
            joined.append(_added(row, reviewed, day, whole_day))
            continue
        candidates = selections[overlap]
        shared = candidates["end_utc"].clip(upper=row.end_utc) - candidates["begin_utc"].clip(lower=row.begin_utc)
        best = candidates.loc[shared.idxmax()]
        same = (
            abs((best["begin_utc"] - row.begin_utc).total_seconds()) <= SAME_TIME_S
            and abs((best["end_utc"] - row.end_utc).total_seconds()) <= SAME_TIME_S
        )
        joined.append({**best.to_dict(), **reviewed, "match": (Match.CURRENT if same else Match.STALE).value})
    return pd.DataFrame(joined)


def _added(row: ReviewedRow, reviewed: dict[str, object], day: dt.date, whole_day: bool) -> dict[str, object]:
    """A row matching no stored selection: song the analyst found (whole-day reviews only)."""
    span = f"({row.begin_utc:%H:%M:%S}-{row.end_utc:%H:%M:%S} UTC)"
    if not whole_day:
        raise ReviewError(
            f"{row.where}: matches no selection of {day}'s raven_selections {span}; was it reviewed from another "
            "day's table? (A selection you drew for song the detector missed counts only in a whole-day review: "
            "put `whole-day` in the file's name.)"
        )
    if row.verdict is Verdict.FALSE:
        raise ReviewError(
            f"{row.where}: a selection you drew {span} matches no detection and says `no`: in a whole-day review, "
            "draw selections only for song the detector missed (verdict yes), or delete the row"
        )
    return {"begin_utc": row.begin_utc, "end_utc": row.end_utc, **reviewed, "match": Match.ADDED.value}


def unjudged_selections(joined: pd.DataFrame, selections: pd.DataFrame) -> pd.DataFrame:
    """The stored selections no verdict in `joined` judges (by their begin time): none are allowed
    on a wholly reviewed day, whose every detection the analyst heard."""
    judged = set(joined["begin_utc"]) if len(joined) else set()
    return selections[~selections["begin_utc"].isin(judged)]


def join_day_reviews(
    files: dict[str, bytes], multi_day: set[str], selections: pd.DataFrame | None, day: dt.date
) -> pd.DataFrame:
    """The verdicts of every review file (`files`: name -> contents) on `day`'s stored selections.

    Files named in `multi_day` (a review sample over several days) contribute their rows of `day`;
    the others are the day folder's. On a day a whole-day review covers, every stored selection must
    have a verdict. `selections`: the day's `raven_selections` with `begin_utc`/`end_utc`, None when
    it was never materialized. Any problem is a ReviewError naming the file (and row).
    """
    joined = []
    whole_day_files = []
    for name, data in files.items():
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ReviewError(
                f"{name}: not UTF-8 text ({error.reason} at byte {error.start}); save it as UTF-8"
            ) from None
        whole_day = is_whole_day_review(name)
        if whole_day and name in multi_day:
            raise ReviewError(f"{name}: a whole-day review covers one day: save it under reviews/{day}/")
        rows = read_review(text, name, file_day=day)
        if name in multi_day:
            rows = rows_of_day(rows, day)
        whole_day_files += [name] if whole_day else []
        if not rows:
            continue
        if selections is None or (not len(selections) and not whole_day):
            raise ReviewError(
                f"{name} reviews {day}, which has no raven_selections rows: materialize raven_selections "
                f"for {day} (the deliverables job) before its reviews"
            )
        joined.append(join_verdicts(rows, selections, day, whole_day=whole_day))
    table = pd.concat(joined, ignore_index=True) if joined else pd.DataFrame()
    if whole_day_files and selections is not None and len(selections):
        missing = unjudged_selections(table, selections)
        if len(missing):
            listed = ", ".join(f"{begin:%H:%M:%S}" for begin in missing["begin_utc"].head(5))
            raise ReviewError(
                f"{whole_day_files[0]}: marked a whole-day review, but {len(missing)} of {day}'s detections have no "
                f"verdict (beginning {listed}{', ...' if len(missing) > 5 else ''} UTC): judge every detection of "
                "the day, or take `whole-day` out of the file's name"
            )
    labels = (
        selections["classifier"].dropna().mode()
        if selections is not None and "classifier" in selections
        else pd.Series(dtype=object)
    )
    if len(table) and len(labels):
        # Song the analyst added was missed by the classifier that scored the day.
        table["classifier"] = table["classifier"].fillna(labels.iloc[0]) if "classifier" in table else labels.iloc[0]
    return table
