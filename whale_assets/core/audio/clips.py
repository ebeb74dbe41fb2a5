"""Playable clips of encounter windows: 16 kHz, 24-bit FLAC, the archive's own samples.

The stored audio is the archive's 24-bit PCM as float32 (s / 2**23, exact), so the clip is
written back as those same integers: a FLAC decoder returns the archive samples bit for bit.
The DC offset (about -0.0034 full scale) is kept: it is inaudible, and removing it would make
the clip differ from the archive file that Raven selections and the tables point at.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import soundfile as sf

from whale_assets.core.audio.pcm import PCM24_SCALE
from whale_assets.core.utc import NS_PER_S, naive_utc

CLIP_STAMP = "%Y%m%dT%H%M%S.%f"


@dataclass(frozen=True)
class ClipSpan:
    """Samples [first, stop) of a window's audio, and the UTC time of `first` (naive)."""

    first: int
    stop: int
    start_utc: pd.Timestamp

    @property
    def n_samples(self) -> int:
        return self.stop - self.first


@dataclass(frozen=True)
class ClipTags:
    """What a player shows: stored as FLAC (Vorbis comment) title, comment and date."""

    title: str
    comment: str
    date: str


def clip_span(
    window_start_utc: object, n_samples: int, sample_rate: int, centre_utc: object, clip_s: float
) -> ClipSpan:
    """`clip_s` seconds around `centre_utc`, moved (and cut) to lie inside the window's audio."""
    window_start = naive_utc(window_start_utc)
    length = min(n_samples, max(1, round(clip_s * sample_rate)))
    centre = round((naive_utc(centre_utc) - window_start).value * sample_rate / NS_PER_S)
    first = int(np.clip(centre - length // 2, 0, n_samples - length))
    start = window_start + pd.Timedelta(nanoseconds=round(first * NS_PER_S / sample_rate))
    return ClipSpan(first, first + length, start)


def clip_file_name(safe_encounter: str, start_utc: object) -> str:
    """`<encounter>_<YYYYMMDDTHHMMSS.fffZ>.flac`; `safe_encounter` is already a safe file name."""
    stamp = naive_utc(start_utc).strftime(CLIP_STAMP)[:-3]
    return f"{safe_encounter}_{stamp}Z.flac"


def flac_bytes(audio: np.ndarray, sample_rate: int, tags: ClipTags) -> bytes:
    """Mono 24-bit FLAC of float audio on the 24-bit grid (s / 2**23), with `tags`."""
    samples = np.clip(np.round(np.asarray(audio, dtype=np.float64) * PCM24_SCALE), -PCM24_SCALE, PCM24_SCALE - 1)
    # libsndfile keeps the top 24 bits of int32 data for PCM_24: the integers go in unchanged.
    left_aligned = samples.astype(np.int32) << 8
    buffer = io.BytesIO()
    with sf.SoundFile(buffer, "w", sample_rate, 1, subtype="PCM_24", format="FLAC") as flac:
        flac.title, flac.comment, flac.date = tags.title, tags.comment, tags.date
        flac.write(left_aligned)
    return buffer.getvalue()
