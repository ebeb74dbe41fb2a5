"""Group encounters into the audio windows to fetch: padded, merged where they overlap."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from whale_assets.core.utc import as_utc


@dataclass(frozen=True)
class EncounterWindow:
    window_id: str
    start_utc: pd.Timestamp
    end_utc: pd.Timestamp
    encounter_ids: tuple[str, ...]

    @property
    def duration_s(self) -> float:
        return (self.end_utc - self.start_utc).total_seconds()


# An encounter lasts at most 6 h; a wider margin only reads audio of other days (1e9 s read
# nothing at all and gave a green day of no_audio rows).
MAX_MARGIN_S = 6 * 3600.0


def group_encounters(
    encounter_ids: Sequence[str],
    starts_utc: Sequence[pd.Timestamp],
    ends_utc: Sequence[pd.Timestamp],
    margin_s: float,
) -> list[EncounterWindow]:
    """Pad each encounter by `margin_s` on both sides and merge overlapping padded spans.

    Each span is compared with the window grown so far (not with its first encounter), so a
    chain of overlapping encounters becomes one window however long it gets.
    """
    if not 0 <= margin_s <= MAX_MARGIN_S:
        raise ValueError(f"margin_s={margin_s} must be between 0 and {MAX_MARGIN_S:g} s (6 h)")
    margin = pd.Timedelta(seconds=margin_s)
    spans = sorted(
        (as_utc(start) - margin, max(as_utc(end), as_utc(start)) + margin, str(encounter_id))
        for encounter_id, start, end in zip(encounter_ids, starts_utc, ends_utc, strict=True)
    )
    groups: list[tuple[pd.Timestamp, pd.Timestamp, list[str]]] = []
    for start, end, encounter_id in spans:
        if groups and start <= groups[-1][1]:
            group_start, group_end, ids = groups[-1]
            groups[-1] = (group_start, max(group_end, end), ids + [encounter_id])
        else:
            groups.append((start, end, [encounter_id]))
    windows: list[EncounterWindow] = []
    for start, end, ids in groups:
        window_id = window_id_for(start)
        if windows and windows[-1].window_id.split("-")[0] == window_id:
            # Only zero-margin spans within one second can collide; keep ids unique.
            window_id = f"{window_id}-{len(windows)}"
        windows.append(EncounterWindow(window_id, start, end, tuple(ids)))
    return windows


def window_id_for(start_utc: pd.Timestamp) -> str:
    """A readable id that is unique within a day: the window's UTC start."""
    return as_utc(start_utc).strftime("%Y%m%dT%H%M%SZ")
