"""Small offline worlds for Dagster-level tests: a CSV export folder and a sparse local archive."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from whale_assets.core.hydrophone import ARCHIVE_SAMPLE_RATE
from whale_assets.demo.archive_writer import archive_path, write_day_file
from whale_assets.demo.synthetic_song import humpback_like_song, ocean_noise
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
    segments: dict[dt.date, list[tuple[float, np.ndarray]]] = field(default_factory=dict)

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
        self.encounters_dir.mkdir(parents=True, exist_ok=True)
        write_export(self.encounters_dir / "export.csv", list(rows))

    def audio(self, start_utc: str, seconds: float, song_at_s: tuple[float, float] | None = None, seed: int = 1,
              song: np.ndarray | None = None) -> None:
        """Background noise from `start_utc`, with synthetic (or given) song at offsets in seconds."""
        rng = np.random.default_rng(seed)
        audio = ocean_noise(int(seconds * ARCHIVE_SAMPLE_RATE), ARCHIVE_SAMPLE_RATE, rng)
        if song_at_s is not None:
            first = int(song_at_s[0] * ARCHIVE_SAMPLE_RATE)
            if song is None:
                song = humpback_like_song(song_at_s[1] - song_at_s[0], ARCHIVE_SAMPLE_RATE, rng)
            audio[first : first + song.size] += song[: audio.size - first]
        start = pd.Timestamp(start_utc)
        self.segments.setdefault(start.date(), []).append(
            ((start - start.normalize()).total_seconds(), audio)
        )

    def write_archive(self) -> None:
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        for day, segments in self.segments.items():
            write_day_file(archive_path(self.archive_dir, day), segments)

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


def _offset(timezone: str) -> pd.Timedelta:
    sign = -1 if timezone.startswith("-") else 1
    digits = timezone.lstrip("+-").replace(":", "")
    return sign * pd.Timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
