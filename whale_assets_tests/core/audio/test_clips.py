"""The listening copy of a clip: DC removed without ringing, peak at the stated level, faded ends."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from whale_assets.core.audio.clips import (
    LISTENING_PEAK_DBFS,
    ClipTags,
    flac_bytes,
    listening_copy,
    listening_flac_bytes,
    listening_name,
)
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render

SR = 16_000
TAGS = ClipTags("encounter a", "test", "2023-09-14T16:00:00Z")


def archive_clip(seconds: float = 30.0, song: bool = True) -> np.ndarray:
    """MARS-like audio on the 24-bit grid: DC offset -0.0034, ~8e-5 RMS, song at 10 dB from 5 s."""
    session = (SongSession(5.0, seconds - 10.0, 10.0),) if song else ()
    audio = render(MarsScene(seconds, seed=11, song=session)).astype(np.float64)
    return np.round(audio * 2**23) / 2**23


def dbfs(x: np.ndarray) -> float:
    return 20 * np.log10(np.max(np.abs(x)))


def test_the_archive_clip_is_nearly_silent_and_the_listening_copy_peaks_at_its_stated_level():
    clip = archive_clip()
    assert abs(np.mean(clip) + 0.0034) < 5e-4  # the offset dominates the archive's samples
    heard = listening_copy(clip, SR)
    assert abs(dbfs(heard) - LISTENING_PEAK_DBFS) < 1e-9
    assert abs(np.mean(heard)) < 1e-3 * np.max(np.abs(heard))  # DC ~0


def test_removing_the_dc_offset_does_not_ring_at_the_clip_start():
    heard = listening_copy(archive_clip(song=False), SR, fade_s=0.0)
    level = np.sqrt(np.mean(heard**2))
    # A filter started from rest on -0.0034 (40x the signal) would ring for the first ~0.1 s.
    for first in range(0, SR, SR // 10):
        assert np.sqrt(np.mean(heard[first : first + SR // 10] ** 2)) < 2 * level


def test_the_listening_copy_fades_in_and_out():
    heard = listening_copy(archive_clip(), SR, fade_s=0.05)
    assert heard[0] == 0.0 or abs(heard[0]) < 1e-3 * np.max(np.abs(heard))
    assert abs(heard[-1]) < 1e-3 * np.max(np.abs(heard))


def test_digital_silence_stays_silent():
    assert not listening_copy(np.zeros(SR), SR).any()


def test_the_listening_flac_reads_back_within_a_tenth_of_a_db_of_its_peak():
    heard = listening_copy(archive_clip(), SR, peak_dbfs=-3.0)
    with sf.SoundFile(io.BytesIO(listening_flac_bytes(heard, SR, TAGS))) as flac:
        assert (flac.samplerate, flac.subtype, flac.title) == (SR, "PCM_16", "encounter a")
        played = flac.read(dtype="float64")
    assert abs(dbfs(played) - (-3.0)) < 0.1


def test_the_archival_flac_still_returns_the_archive_samples_bit_for_bit():
    clip = archive_clip(5.0)
    with sf.SoundFile(io.BytesIO(flac_bytes(clip, SR, TAGS))) as flac:
        np.testing.assert_array_equal(flac.read(dtype="int32") >> 8, np.round(clip * 2**23).astype(np.int32))


def test_the_listening_copy_sits_beside_the_archival_clip():
    assert listening_name("a_b_20230914T160000.000Z.flac") == "a_b_20230914T160000.000Z.listen.flac"
