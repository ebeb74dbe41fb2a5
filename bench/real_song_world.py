"""MARS-like scenes voiced with REAL song units (../shared/data/mbari-song-units), split by recording.

A loader for training (unlike `whale_assets.demo.real_song`, which replays units at their recorded
offsets, it packs them back to back, so a few minutes of scene hold many units): the units of the
chosen recordings are joined into one `SongRecording` (16 kHz, each unit's mean removed, 0.25 s of silence between
units), which `MarsScene` then places in phrases at the SNR asked. Training uses
`TRAIN_RECORDINGS`; every quality figure is reported on `HELD_OUT_RECORDINGS` with other seeds.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from whale_assets.core.audio.resample import resample_exact
from whale_assets.core.synthesis.mars_scene import (
    BaleenCalls,
    Earthquake,
    MarsScene,
    ShipPassage,
    SongSession,
    render,
    song_units,
)
from whale_assets.core.synthesis.mars_song import SongRecording
from whale_assets.demo.real_song import DEFAULT_UNITS_DIR, TUNING_RECORDINGS, units_dir
from whale_assets.demo.real_song import HELD_OUT_RECORDINGS as HELD_OUT_RECORDINGS

# The split by recording is the detector's (one definition): train on its tuning recordings.
SONG_UNITS_DIR = units_dir() or DEFAULT_UNITS_DIR
TRAIN_RECORDINGS = TUNING_RECORDINGS
SCENE_RATE = 16_000
MODEL_RATE = 10_000
SONG_LABEL_S = 0.5
"""A window is song if units cover >= this much of it; no unit at all is noise; between: not scored."""


def load_units(recordings: tuple[str, ...], directory: Path = SONG_UNITS_DIR) -> SongRecording:
    """The units of `recordings` as one SongRecording (raises FileNotFoundError naming the folder)."""
    import soundfile

    manifest = directory / "manifest.csv"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} is missing: the real song units live in ../shared/data/mbari-song-units")
    pieces, units, at = [], [], 0
    gap = np.zeros(SCENE_RATE // 4)
    with open(manifest, newline="") as rows:
        for row in csv.DictReader(rows):
            if row["recording"] not in recordings:
                continue
            samples, rate = soundfile.read(directory / row["path"], dtype="float64")
            assert rate == SCENE_RATE, (row["path"], rate)
            samples = samples - samples.mean()
            pieces += [samples, gap]
            units.append((at, at + samples.size))
            at += samples.size + gap.size
    return SongRecording(np.concatenate(pieces), SCENE_RATE, tuple(units))


def scene(seed: int, minutes: float, units: SongRecording, snr_db: tuple[float, float] = (6.0, 15.0)) -> MarsScene:
    """`minutes` of MARS-like audio: song bouts (about half the time, SNR drawn in `snr_db`), a
    ship passage, blue and fin whale calls and an earthquake, all placed by `seed`."""
    rng = np.random.default_rng(seed)
    duration = minutes * 60.0
    bouts, t = [], rng.uniform(0, 60)
    while t < duration - 60:
        length = rng.uniform(90, 300)
        bouts.append(SongSession(t, min(length, duration - t), float(rng.uniform(*snr_db))))
        t += length + rng.uniform(60, 300)
    return MarsScene(
        duration,
        seed=seed,
        song=tuple(bouts),
        ships=(ShipPassage(rng.uniform(0.2, 0.8) * duration, rng.uniform(300, 900), rng.uniform(10, 20)),),
        baleen=(
            BaleenCalls("blue", rng.uniform(0, 0.5) * duration, 0.4 * duration, rng.uniform(6, 15)),
            BaleenCalls("fin", rng.uniform(0.3, 0.6) * duration, 0.4 * duration, rng.uniform(6, 15)),
        ),
        earthquakes=(Earthquake(rng.uniform(0.1, 0.9) * duration, rng.uniform(15, 25)),),
        song_recording=units,
        sample_rate=SCENE_RATE,
    )


def audio(world: MarsScene) -> np.ndarray:
    """The scene at the model's 10 kHz, float32."""
    return resample_exact(render(world), SCENE_RATE, MODEL_RATE).astype(np.float32)


def window_labels(world: MarsScene, starts_s: np.ndarray, context_s: float) -> np.ndarray:
    """Per window starting at `starts_s`: 1 song, 0 noise, -1 ambiguous (a sliver of a unit)."""
    covered = np.zeros(starts_s.size)
    for begin, end in song_units(world):
        covered += np.clip(np.minimum(end, starts_s + context_s) - np.maximum(begin, starts_s), 0, None)
    return np.where(covered >= SONG_LABEL_S, 1, np.where(covered == 0, 0, -1))


def roc_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with tied ranks), over windows labelled 0 or 1."""
    from scipy.stats import rankdata

    keep = labels >= 0
    s, y = scores[keep], labels[keep] == 1
    ranks = rankdata(s)
    positives, negatives = y.sum(), (~y).sum()
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def precision_recall(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> tuple[float, float]:
    keep = labels >= 0
    predicted, actual = scores[keep] >= threshold, labels[keep] == 1
    hits = np.sum(predicted & actual)
    return float(hits / max(predicted.sum(), 1)), float(hits / max(actual.sum(), 1))
