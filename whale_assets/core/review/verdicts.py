"""Analysts' verdicts on detections: the spellings accepted, and what a bad one says.

An analyst adds a column to the platform's Raven table (or to its CSV export in a spreadsheet) and
types a verdict per row. Raven keeps annotation columns it does not know when it saves, so the
column can be called any of `VERDICT_COLUMNS`; values are matched case-insensitively.
"""

from __future__ import annotations

from enum import Enum


class Verdict(Enum):
    TRUE = "true"  # the detection is humpback song
    FALSE = "false"  # it is not
    UNSURE = "unsure"  # reviewed, undecided: counted, never used for precision


# What analysts type. Blank means "not reviewed yet" (the row is skipped, not an error).
SPELLINGS: dict[str, Verdict] = {
    **dict.fromkeys(("yes", "y", "true", "t", "1", "tp", "correct", "humpback", "song", "mn"), Verdict.TRUE),
    **dict.fromkeys(("no", "n", "false", "f", "0", "fp", "incorrect", "wrong", "noise"), Verdict.FALSE),
    **dict.fromkeys(("unsure", "u", "?", "maybe", "unknown", "uncertain", "unclear"), Verdict.UNSURE),
}
# Column names taken for the verdict, in order of preference (matched case-insensitively).
VERDICT_COLUMNS = ("verdict", "review", "validation", "correct", "is_true", "label")


class ReviewError(ValueError):
    """A review file the platform cannot use; the message names the file and row."""


def parse_verdict(text: object, *, where: str) -> Verdict | None:
    """The verdict written in a cell, None when blank; `where` names the file and row for the error."""
    if text is None or (isinstance(text, float) and text != text):  # None or NaN: an empty cell
        return None
    cleaned = str(text).strip().lower()
    if not cleaned:
        return None
    try:
        return SPELLINGS[cleaned]
    except KeyError:
        accepted = ", ".join(sorted({*SPELLINGS} - {"1", "0", "t", "f", "u", "n", "y"}))
        raise ReviewError(
            f"{where}: unknown verdict {text!r}; write yes, no or unsure (also accepted: {accepted}), "
            "or leave the cell empty for a detection not reviewed yet"
        ) from None


def verdict_column(columns: list[str], *, where: str) -> str:
    """The name of the verdict column among a table's `columns`, or a ReviewError naming the file."""
    by_lower = {name.strip().lower(): name for name in columns}
    for candidate in VERDICT_COLUMNS:
        if candidate in by_lower:
            return by_lower[candidate]
    raise ReviewError(
        f"{where}: no verdict column; add a column named `Verdict` (or one of {', '.join(VERDICT_COLUMNS)}) "
        "with yes / no / unsure per reviewed row"
    )
