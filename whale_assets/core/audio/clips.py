"""Clips of encounter windows: an archival copy and a listening copy of the same 16 kHz samples.

Archival: 24-bit FLAC of the archive's own samples. The stored audio is the archive's 24-bit
PCM as float32 (s / 2**23, exact), so the clip is written back as those same integers: a FLAC
decoder returns the archive samples bit for bit, DC offset (about -0.0034 full scale) included,
so it matches the archive file that Raven selections and the tables point at.

Listening: the archive is quiet (~8e-5 RMS, peaks near -60 dBFS under a DC offset 40x the
signal), so a player gives near silence. The listening copy removes the DC offset, normalises
the peak to `LISTENING_PEAK_DBFS` and fades in and out, as a 16-bit FLAC.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import soundfile as sf
from scipy import signal

from whale_assets.core.audio.pcm import PCM24_SCALE
from whale_assets.core.utc import NS_PER_S, naive_utc

CLIP_STAMP = "%Y%m%dT%H%M%S.%f"
LISTENING_PEAK_DBFS = -1.0
"""The listening copy's peak: 1 dB below full scale, headroom for players' resampling."""
LISTENING_FADE_S = 0.05
"""Raised-cosine fade at each end, so the cut does not click."""
DC_BLOCK_HZ = 10.0
"""High-pass corner of the listening copy: below the 50 Hz song band's lower edge, above the drift."""
DC_BLOCK_ORDER = 2


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


def clip_file_name(safe_name: str, start_utc: object) -> str:
    """`<name>_<YYYYMMDDTHHMMSS.fffZ>.flac`; `safe_name` (the window's encounters) is already a safe file name."""
    stamp = naive_utc(start_utc).strftime(CLIP_STAMP)[:-3]
    return f"{safe_name}_{stamp}Z.flac"


def listening_name(archival_name: str) -> str:
    """`<name>.listen.flac` beside the archival `<name>.flac`."""
    return archival_name.removesuffix(".flac") + ".listen.flac"


def listening_copy(
    audio: np.ndarray,
    sample_rate: int,
    peak_dbfs: float = LISTENING_PEAK_DBFS,
    fade_s: float = LISTENING_FADE_S,
) -> np.ndarray:
    """`audio` without its DC offset, faded in and out, with its peak at `peak_dbfs` (float64).

    The offset is subtracted (median) before the high-pass sees it, and the high-pass runs
    forward and backward (zero phase): a filter started from rest on the -0.0034 offset would
    ring louder than the signal. Digital silence stays silence.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.size == 0:
        return x
    x = x - np.median(x)
    sos = signal.butter(DC_BLOCK_ORDER, DC_BLOCK_HZ, btype="highpass", fs=sample_rate, output="sos")
    pad = 3 * (2 * sos.shape[0] + 1)  # sosfiltfilt's default pad: shorter inputs keep the median removal only
    if x.size > pad:
        x = signal.sosfiltfilt(sos, x)
    fade = min(round(fade_s * sample_rate), x.size // 2)
    if fade:
        ramp = 0.5 - 0.5 * np.cos(np.pi * (np.arange(fade) + 0.5) / fade)
        x[:fade] *= ramp
        x[-fade:] *= ramp[::-1]
    peak = float(np.max(np.abs(x)))
    return x * (10.0 ** (peak_dbfs / 20.0) / peak) if peak > 0.0 else np.zeros_like(x)


def listening_flac_bytes(audio: np.ndarray, sample_rate: int, tags: ClipTags) -> bytes:
    """Mono 16-bit FLAC of a listening copy (float in [-1, 1)), with `tags`."""
    buffer = io.BytesIO()
    with sf.SoundFile(buffer, "w", sample_rate, 1, subtype="PCM_16", format="FLAC") as flac:
        flac.title, flac.comment, flac.date = tags.title, tags.comment, tags.date
        flac.write(np.asarray(audio, dtype=np.float64))
    return buffer.getvalue()


def listening_wav_bytes(audio: np.ndarray, sample_rate: int, tags: ClipTags) -> bytes:
    """Mono 16-bit WAV of a listening copy (float in [-1, 1)), with `tags` (RIFF INFO): the format
    every player and both Raven Pro and Raven Lite open (a review sample's clips)."""
    buffer = io.BytesIO()
    with sf.SoundFile(buffer, "w", sample_rate, 1, subtype="PCM_16", format="WAV") as wav:
        wav.title, wav.comment, wav.date = tags.title, tags.comment, tags.date
        wav.write(np.asarray(audio, dtype=np.float64))
    return buffer.getvalue()


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
