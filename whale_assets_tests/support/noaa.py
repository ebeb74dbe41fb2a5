"""Real NOAA humpback recordings shipped beside the repository (never copied into it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOAA_DIR = Path(
    os.environ.get(
        "WHALE_NOAA_DIR",
        Path(__file__).resolve().parents[2].parent / "shared" / "data" / "noaa-humpback",
    )
)
SONG_WAV = NOAA_DIR / "song" / "cross_seamount_song_10khz.wav"

requires_noaa = pytest.mark.skipif(
    not SONG_WAV.exists(),
    reason=f"NOAA humpback recordings not found at {NOAA_DIR} (they sit in ../shared beside the repo in CI)",
)
