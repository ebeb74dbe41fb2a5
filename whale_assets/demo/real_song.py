"""Real humpback song in the MARS-like world: units recorded by MBARI at MARS, replayed at their offsets.

`../shared/data/mbari-song-units/` (README there) holds 864 units cut by analysts from 7 MBARI
recordings, one FLAC per unit (16 kHz, each normalised, carrying its recording's own background)
and `manifest.csv` with each unit's type and begin/end in its recording. `load_real_units` turns
the units of some recordings into a `SongRecording` whose bouts replay every recording's units at
their recorded offsets; a scene's song sessions then chain those bouts into hours (5-60 s between
bouts) at the in-band SNR asked, instead of synthetic units. Without the folder, the loader returns
None and callers skip (the demo keeps synthetic song).

Cross-validation is by recording, the same split for every detector and model judged on it:
tune on `TUNING_RECORDINGS`, report on `HELD_OUT_RECORDINGS`, never on the same.
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile

from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, planned_units, render
from whale_assets.core.synthesis.mars_song import RecordedBout, SongRecording

TUNING_RECORDINGS = ("HBSe_20151022T015622", "HBSe_20151121T040102", "HBSe_20151228T103639", "HBSe_20161101T153358")
"""Recordings a detector or model may be tuned or trained on."""
HELD_OUT_RECORDINGS = ("HBSe_20151207T070326", "HBSe_20170116T054541", "HBSe_20170424T102157")
"""Recordings only reported on: never used to choose a parameter or fit a weight."""
ALL_RECORDINGS = TUNING_RECORDINGS + HELD_OUT_RECORDINGS

UNITS_ENV = "WHALE_REAL_SONG_UNITS"
"""Environment variable naming the units folder, when it is not the default."""
DEFAULT_UNITS_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "mbari-song-units"
"""`../shared/data/mbari-song-units` beside the checkout (never copied into the repository)."""
SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class SongInterval:
    """Ground truth for one real unit placed in a scene."""

    start_s: float
    end_s: float
    unit_type: str
    recording: str


def units_dir(path: str | os.PathLike[str] | None = None) -> Path | None:
    """The units folder (argument, then `WHALE_REAL_SONG_UNITS`, then the default), or None when absent."""
    chosen = Path(path or os.environ.get(UNITS_ENV) or DEFAULT_UNITS_DIR)
    return chosen.resolve() if (chosen / "manifest.csv").is_file() else None


def unit_type_family(label: str) -> str:
    """An analyst's label reduced to its unit type: `gurgle?` -> gurgle, `trill_(D)` -> trill,
    `grunts` -> grunt, `groan_+_purr` -> groan (the first of a combination)."""
    label = re.sub(r"_?\([A-Z]\)", "", label.strip().strip('"')).replace("?", "")
    label = re.split(r"_?\+", label)[0].strip("_ ")
    return {"grunts": "grunt", "modulated_moans": "modulated_moan"}.get(label, label) or "unknown"


@lru_cache(maxsize=8)
def _load(folder: Path, recordings: tuple[str, ...]) -> SongRecording:
    with open(folder / "manifest.csv", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["recording"] in recordings]
    missing = sorted(set(recordings) - {row["recording"] for row in rows})
    if missing:
        raise ValueError(
            f"{folder / 'manifest.csv'} has no units of {', '.join(missing)}; recordings there: {', '.join(ALL_RECORDINGS)}"
        )
    pieces: list[np.ndarray] = []
    units: list[tuple[int, int]] = []
    types: list[str] = []
    by_recording: dict[str, list[tuple[int, float, float]]] = {name: [] for name in recordings}
    first = 0
    for row in rows:
        samples, rate = soundfile.read(folder / row["path"], dtype="float64", always_2d=True)
        if rate != SAMPLE_RATE:
            raise ValueError(
                f"{folder / row['path']} is at {rate} Hz; the units folder should hold {SAMPLE_RATE} Hz FLAC (see its README)"
            )
        samples = samples[:, 0] - samples[:, 0].mean()
        by_recording[row["recording"]].append((len(units), float(row["begin_s_in_recording"]), samples.size / rate))
        units.append((first, first + samples.size))
        types.append(unit_type_family(row["unit_type"]))
        pieces.append(samples)
        first += samples.size
    bouts = []
    for name in recordings:
        placed = sorted(by_recording[name], key=lambda unit: unit[1])
        start = placed[0][1]
        span = max(begin + duration for _, begin, duration in placed) - start
        bouts.append(RecordedBout(name, span, tuple((index, begin - start) for index, begin, _ in placed)))
    return SongRecording(np.concatenate(pieces), SAMPLE_RATE, tuple(units), tuple(types), tuple(bouts))


def load_real_units(
    recordings: tuple[str, ...] = ALL_RECORDINGS, path: str | os.PathLike[str] | None = None
) -> SongRecording | None:
    """The units of `recordings` as a `SongRecording` with one bout per recording; None without the folder."""
    folder = units_dir(path)
    return None if folder is None else _load(folder, tuple(recordings))


def isolated_units(recording: SongRecording, gap_s: tuple[float, float] = (6.0, 8.0)) -> SongRecording:
    """The same units, each a bout of its own, `gap_s` apart: to judge unit types one by one."""
    bouts = tuple(
        RecordedBout(
            bout.name, (recording.units[index][1] - recording.units[index][0]) / recording.sample_rate, ((index, 0.0),)
        )
        for bout in recording.bouts
        for index, _ in bout.units
    )
    return dataclasses.replace(recording, bouts=bouts, bout_gap_s=gap_s)


def song_intervals(scene: MarsScene) -> list[SongInterval]:
    """Every unit of the scene's song with its type and recording (real units), in time order."""
    recording = scene.song_recording
    owner = {}
    if recording is not None:
        owner = {index: bout.name for bout in recording.bouts for index, _ in bout.units}
    out = []
    for unit in planned_units(scene):
        index = unit.recipe.recorded_index
        labelled = recording is not None and 0 <= index < len(recording.unit_types)
        out.append(
            SongInterval(
                unit.start_s,
                unit.start_s + unit.duration_s,
                recording.unit_types[index] if recording is not None and labelled else unit.recipe.kind,
                owner.get(index, "synthetic"),
            )
        )
    return out


def real_song_scene(
    recordings: tuple[str, ...], snr_db: float, duration_s: float, seed: int = 0, song_s: tuple[float, float] | None = None,
    path: str | os.PathLike[str] | None = None, **scene: object,
) -> MarsScene | None:  # fmt: skip
    """A MARS-like scene whose song, over `song_s` (default: the whole scene), is real units of
    `recordings` at `snr_db` in-band SNR; None without the units folder. `scene` passes on to
    `MarsScene` (ships, baleen, earthquakes, drift_db, ...)."""
    units = load_real_units(recordings, path)
    if units is None:
        return None
    first, stop = song_s if song_s is not None else (0.0, duration_s)
    song = (SongSession(first, stop - first, snr_db),)
    return MarsScene(duration_s, seed=seed, song=song, song_recording=units, **scene)  # type: ignore[arg-type]


def real_song_audio(
    recordings: tuple[str, ...], snr_db: float, duration_s: float, seed: int = 0, song_s: tuple[float, float] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, list[SongInterval]] | None:  # fmt: skip
    """(16 kHz float32 MARS-like audio, its song intervals with unit types) for training or judging a
    detector or model on real song; None without the units folder."""
    scene = real_song_scene(recordings, snr_db, duration_s, seed, song_s, path)
    if scene is None:
        return None
    return render(scene), song_intervals(scene)
