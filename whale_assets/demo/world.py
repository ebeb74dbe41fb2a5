"""The offline demo world: Happywhale-style CSV exports and a sparse local archive with song.

Encounters are declared in UTC with the zone their reporter used; the CSV carries local
times, as Happywhale's does, so the demo exercises the real conversion back to UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from whale_assets.core.encounters.table import EXPORT_COLUMNS
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE
from whale_assets.core.synthesis.mars_scene import BaleenCalls, MarsScene, ShipPassage, SongSession
from whale_assets.core.synthesis.mars_sources import BaleenKind
from whale_assets.demo.sparse_archive import SparseArchive

DEMO_DAYS = (dt.date(2023, 9, 14), dt.date(2023, 9, 15))
DEMO_MARGIN_S = 300.0
DEMO_SONG_SNR_DB = 10.0
"""In-band SNR of the demo's song units: a typical value for MARS (3-15 dB)."""
# Sounds that are not humpback song, inside some encounter windows, to show they are not detected.
SHIP_PASSAGES_UTC = ("2023-09-14 16:26:00",)
BALEEN_UTC: tuple[tuple[BaleenKind, str], ...] = (("blue", "2023-09-14 21:06:00"), ("fin", "2023-09-15 19:00:00"))


@dataclass(frozen=True)
class DemoEncounter:
    encounter_id: str
    start_utc: str
    end_utc: str
    timezone: str
    latitude: float = MARS_LATITUDE + 0.05
    longitude: float = MARS_LONGITUDE + 0.05
    species: str = "humpback_whale"
    song_utc: tuple[str, str] | None = None
    blank_start_time: bool = False


ENCOUNTERS = (
    DemoEncounter(
        "hw-1001",
        "2023-09-14 16:12:30",
        "2023-09-14 16:15:00",
        "-07:00",
        36.80,
        -122.10,
        song_utc=("2023-09-14 16:11:00", "2023-09-14 16:17:30"),
    ),
    DemoEncounter("hw-1002", "2023-09-14 16:20:10", "2023-09-14 16:31:40", "America/Los_Angeles", 36.75, -122.25),
    DemoEncounter("hw-1003", "2023-09-14 21:05:00", "2023-09-14 21:20:00", "-07:00", 36.65, -122.05),
    DemoEncounter("hw-1004", "2023-09-14 18:00:00", "2023-09-14 18:30:00", "-07:00", 34.40, -119.70),
    DemoEncounter("hw-1005", "2023-09-14 17:00:00", "2023-09-14 17:10:00", "-07:00", species="blue_whale"),
    DemoEncounter("hw-1006", "2023-09-14 19:00:00", "2023-09-14 19:10:00", "-07:00", blank_start_time=True),
    DemoEncounter(
        "hw-1007",
        "2023-09-14 23:54:00",
        "2023-09-15 00:05:00",
        "-0700",
        36.70,
        -122.30,
        song_utc=("2023-09-14 23:56:00", "2023-09-15 00:06:00"),
    ),
    DemoEncounter(
        "hw-2001",
        "2023-09-15 03:30:00",
        "2023-09-15 03:45:00",
        "America/Los_Angeles",
        36.72,
        -122.15,
        song_utc=("2023-09-15 03:28:00", "2023-09-15 03:40:00"),
    ),
    DemoEncounter("hw-2002", "2023-09-15 19:00:00", "2023-09-15 19:05:00", "America/Los_Angeles", 36.60, -122.20),
    DemoEncounter("hw-2003", "2023-09-15 23:50:00", "2023-09-15 23:58:00", "-07:00", 36.71, -122.19),
    DemoEncounter("hw-2004", "2023-09-15 10:00:00", "2023-09-15 10:05:00", "Mars/Olympus_Mons"),
)


@dataclass(frozen=True)
class DemoWorld:
    encounters_dir: Path
    archive_dir: Path


def build_world(root: Path, seed: int = 7) -> DemoWorld:
    """Write the encounter CSV and the archive days (the day after the demo is missing on purpose).

    The audio is synthetic but MARS-like (see core/synthesis/mars_scene.py): DC offset, real levels, reddish
    noise, a ship passage, blue and fin whale calls, and song units at a realistic in-band SNR.
    """
    world = DemoWorld(root / "encounters", root / "archive")
    world.encounters_dir.mkdir(parents=True, exist_ok=True)
    write_export(world.encounters_dir / "happywhale-export.csv", [_export_row(e) for e in ENCOUNTERS])
    archive = SparseArchive(world.archive_dir)
    for index, (start, end) in enumerate(_covered_spans()):
        archive.place(start, _scene(start, end, seed + index))
    archive.write(days=set(DEMO_DAYS))
    return world


def write_export(path: Path, rows: list[dict[str, object]]) -> None:
    """A CSV in Happywhale's export format (columns in its order, unknown ones left empty)."""
    with path.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, EXPORT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _export_row(encounter: DemoEncounter) -> dict[str, object]:
    start, end = (_local(t, encounter.timezone) for t in (encounter.start_utc, encounter.end_utc))
    image = f"https://happywhale.com/img/{encounter.encounter_id}.jpg"
    return {
        "latitude": encounter.latitude,
        "longitude": encounter.longitude,
        "approved": True,
        "startDate": f"{start:%Y-%m-%d}",
        "startTime": "" if encounter.blank_start_time else f"{start:%H:%M:%S}",
        "endDate": f"{end:%Y-%m-%d}",
        "endTime": f"{end:%H:%M:%S}",
        "timezone": encounter.timezone,
        "displayImgUrl": image,
        "displayThumbUrl": image,
        "id": encounter.encounter_id,
        "species": encounter.species,
        "region": "Monterey Bay",
        "public": True,
    }


def _local(utc_text: str, zone: str) -> pd.Timestamp:
    utc = pd.Timestamp(utc_text, tz="UTC")
    try:
        return utc.tz_convert(zoneinfo.ZoneInfo(zone)).tz_localize(None)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        sign = -1 if zone.startswith("-") else 1
        digits = zone.lstrip("+-").replace(":", "")
        hours, minutes = (int(digits[:2]), int(digits[2:4] or 0)) if digits.isdigit() else (0, 0)
        return (utc + sign * pd.Timedelta(hours=hours, minutes=minutes)).tz_localize(None)


def _scene(span_start: pd.Timestamp, span_end: pd.Timestamp, seed: int) -> MarsScene:
    """Realistic audio over one covered span: song where declared, other sounds where listed."""

    def offset(utc_text: str) -> float:
        return (pd.Timestamp(utc_text, tz="UTC") - span_start).total_seconds()

    song = tuple(
        SongSession(offset(e.song_utc[0]), offset(e.song_utc[1]) - offset(e.song_utc[0]), snr_db=DEMO_SONG_SNR_DB)
        for e in ENCOUNTERS
        if e.song_utc and span_start <= pd.Timestamp(e.song_utc[0], tz="UTC") < span_end
    )
    ships = tuple(ShipPassage(offset(at), 900.0, 15.0) for at in SHIP_PASSAGES_UTC if _inside(at, span_start, span_end))
    baleen = tuple(
        BaleenCalls(kind, offset(at), 600.0, 10.0) for kind, at in BALEEN_UTC if _inside(at, span_start, span_end)
    )
    return MarsScene((span_end - span_start).total_seconds(), seed=seed, song=song, ships=ships, baleen=baleen)


def _inside(utc_text: str, start: pd.Timestamp, end: pd.Timestamp) -> bool:
    return start <= pd.Timestamp(utc_text, tz="UTC") < end


def _covered_spans() -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Encounter spans padded beyond the demo margin, merged where they overlap."""
    pad = pd.Timedelta(seconds=DEMO_MARGIN_S + 120)
    spans = sorted(
        (pd.Timestamp(e.start_utc, tz="UTC") - pad, pd.Timestamp(e.end_utc, tz="UTC") + pad) for e in ENCOUNTERS
    )
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
