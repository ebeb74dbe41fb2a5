"""A sparse local archive of MARS-like day files, built from scenes placed at UTC times.

Scenes may last hours and cross midnight: each is cut at day boundaries when placed, and
rendered piece by piece only when the files are written, so memory stays bounded.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from whale_assets.core.hydrophone import DAY_SECONDS
from whale_assets.core.synthesis.mars_scene import MarsScene, render_pieces, song_units
from whale_assets.core.utc import naive_utc
from whale_assets.demo.archive_writer import archive_path, stream_segment, write_day_file

UtcInterval = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class _ScenePart:
    """The part of a scene that falls in one UTC day file."""

    offset_s: float  # where it starts in the day file
    scene: MarsScene
    start_s: float  # the part's [start_s, stop_s) in scene time
    stop_s: float


@dataclass
class SparseArchive:
    """Day files under `root` in the archive layout; only placed audio is written, the rest is a hole."""

    root: Path
    segments: dict[dt.date, list[tuple[float, np.ndarray]]] = field(default_factory=dict)
    scene_parts: dict[dt.date, list[_ScenePart]] = field(default_factory=dict)

    def add(self, start_utc: pd.Timestamp | str, audio: np.ndarray) -> None:
        """Samples already in memory, from `start_utc` (must not cross midnight)."""
        start = naive_utc(start_utc)
        self.segments.setdefault(start.date(), []).append(((start - start.normalize()).total_seconds(), audio))

    def place(self, start_utc: pd.Timestamp | str, scene: MarsScene) -> list[UtcInterval]:
        """Place `scene` from `start_utc`; returns its song units' UTC intervals (the ground truth)."""
        start = naive_utc(start_utc)
        at_s = 0.0
        while at_s < scene.duration_s:
            moment = start + pd.Timedelta(seconds=at_s)
            offset_s = (moment - moment.normalize()).total_seconds()
            stop_s = min(scene.duration_s, at_s + DAY_SECONDS - offset_s)
            self.scene_parts.setdefault(moment.date(), []).append(_ScenePart(offset_s, scene, at_s, stop_s))
            at_s = stop_s
        return [(start + pd.Timedelta(seconds=a), start + pd.Timedelta(seconds=b)) for a, b in song_units(scene)]

    def days(self) -> list[dt.date]:
        return sorted(set(self.segments) | set(self.scene_parts))

    def write(self, days: set[dt.date] | None = None) -> None:
        """Write every day file that has audio (or only `days`)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for day in self.days():
            if days is not None and day not in days:
                continue
            streamed = (
                segment
                for part in self.scene_parts.get(day, [])
                for segment in stream_segment(part.offset_s, render_pieces(part.scene, part.start_s, part.stop_s))
            )
            write_day_file(archive_path(self.root, day), itertools.chain(self.segments.get(day, []), streamed))
