"""Small offline worlds for Dagster-level tests: a CSV export folder and a sparse local archive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from whale_assets.core.synthesis.mars_scene import (
    MarsScene,
    SongSession,
    render,
    song_units,
)
from whale_assets.demo.sparse_archive import SparseArchive, UtcInterval
from whale_assets.demo.world import write_export
from whale_assets.settings import Settings


def export_row(
    encounter_id: str,
    start_utc: str,
    end_utc: str | None = None,
    timezone: str = "-07:00",
    latitude: float = 36.75,
    longitude: float = -122.15,
    species: str = "humpback_whale",
) -> dict[str, object]:
    """A Happywhale export row whose local times (at a fixed offset) correspond to the UTC given."""
    offset = _offset(timezone)
    start = pd.Timestamp(start_utc) + offset
    end = pd.Timestamp(end_utc or start_utc) + offset
    return {
        "id": encounter_id,
        "latitude": latitude,
        "longitude": longitude,
        "species": species,
        "startDate": f"{start:%Y-%m-%d}",
        "startTime": f"{start:%H:%M:%S}",
        "endDate": f"{end:%Y-%m-%d}",
        "endTime": f"{end:%H:%M:%S}",
        "timezone": timezone,
        "displayImgUrl": f"https://example.org/{encounter_id}.jpg",
    }


@dataclass
class World:
    root: Path
    archive: SparseArchive = field(init=False)

    def __post_init__(self) -> None:
        self.archive = SparseArchive(self.root / "archive")

    @property
    def segments(self) -> dict[dt.date, list[tuple[float, np.ndarray]]]:
        return self.archive.segments

    @property
    def encounters_dir(self) -> Path:
        return self.root / "encounters"

    @property
    def archive_dir(self) -> Path:
        return self.root / "archive"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def encounters(self, *rows: dict[str, object]) -> None:
        """The export folder's one export; without rows, what Happywhale writes for a search without hits."""
        self.encounters_dir.mkdir(parents=True, exist_ok=True)
        if rows:
            write_export(self.encounters_dir / "export.csv", list(rows))
        else:  # geometry_search's CSV of no encounters (pandas writes an empty frame as a newline)
            (self.encounters_dir / "export.csv").write_text("\n")

    def audio(
        self,
        start_utc: str,
        seconds: float,
        song_at_s: tuple[float, float] | None = None,
        seed: int = 1,
        snr_db: float = 10.0,
    ) -> list[UtcInterval]:
        """MARS-like audio from `start_utc` (DC offset, quiet reddish noise), held in memory.

        With `song_at_s` (offsets in seconds), humpback song plays there at an in-band SNR of
        `snr_db`. Returns the song units' UTC intervals. (Real song: `scene` with a `MarsScene`
        whose `song_recording` is `load_song_recording(...)`.)
        """
        session = () if song_at_s is None else (SongSession(song_at_s[0], song_at_s[1] - song_at_s[0], snr_db),)
        scene = MarsScene(seconds, seed=seed, song=session)
        start = pd.Timestamp(start_utc)
        self.archive.add(start, render(scene))
        return _utc(start, song_units(scene))

    def scene(self, start_utc: str, scene: MarsScene) -> list[UtcInterval]:
        """Place a (possibly hours-long, multi-day) scene from `start_utc`; it is rendered piece by
        piece only when the archive is written. Returns the song units' UTC intervals."""
        return self.archive.place(start_utc, scene)

    def write_archive(self) -> None:
        self.archive.write()

    def settings(self, classifier: str = "energy", model: str | None = None, encounters: str | None = None) -> Settings:
        self.encounters_dir.mkdir(parents=True, exist_ok=True)
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        env = {
            "WHALE_DATA_DIR": str(self.data_dir),
            "WHALE_ENCOUNTERS": encounters or str(self.encounters_dir),
            "WHALE_AUDIO_SOURCE": str(self.archive_dir),
            "WHALE_CLASSIFIER": classifier,
        }
        if model:
            env["WHALE_MODEL"] = model
        return Settings.from_env(env)


def _utc(start: pd.Timestamp, intervals: list[tuple[float, float]]) -> list[UtcInterval]:
    return [(start + pd.Timedelta(seconds=a), start + pd.Timedelta(seconds=b)) for a, b in intervals]


def _offset(timezone: str) -> pd.Timedelta:
    sign = -1 if timezone.startswith("-") else 1
    digits = timezone.lstrip("+-").replace(":", "")
    return sign * pd.Timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
