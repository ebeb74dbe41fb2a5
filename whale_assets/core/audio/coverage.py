"""How much of a requested window holds audio: not a missing day file, not digital silence.

A window keeps whatever audio the archive has (`sources.audio_archive.AudioArchive.available`);
its coverage says how much of what was asked for that is, so a partial window is `ok` and
still tells a reader it is partial. Silence is the full-day scoring's rule (`silent_blocks`):
blocks of exactly-zero samples, which the recorder writes where it recorded nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from whale_assets.core.audio.sift import SiftParameters, pad_regions, sift
from whale_assets.core.scoring.day_scoring import GAP_BLOCK_SAMPLES, runs, silent_blocks


def silent_samples(samples: np.ndarray, block: int = GAP_BLOCK_SAMPLES) -> int:
    """Samples of `samples` (decoded float32) in all-zero blocks of `block` samples."""
    silent = silent_blocks(samples, block)
    if not silent.size:
        return 0
    count = int(silent[:-1].sum()) * block
    return count + (samples.shape[0] - (silent.size - 1) * block if silent[-1] else 0)


class SilenceTally:
    """Counts the silent samples of pieces as they stream past (one piece in memory at a time)."""

    def __init__(self) -> None:
        self.silent = 0

    def count(self, pieces: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for piece in pieces:
            self.silent += silent_samples(piece)
            yield piece


def audio_coverage(requested_samples: int, read_samples: int, silent: int) -> float:
    """The fraction of the requested samples that were read and are not digital silence (0-1)."""
    if requested_samples <= 0:
        return 0.0
    return max(0.0, min(1.0, (read_samples - silent) / requested_samples))


def recorded_stretches(samples: np.ndarray, block: int = GAP_BLOCK_SAMPLES) -> list[tuple[int, int]]:
    """[start, stop) sample ranges between digital silences (the whole input when it has none)."""
    silent = silent_blocks(samples, block)
    stretches = []
    for first_block, stop_block in runs(~silent):
        first, stop = first_block * block, min(samples.shape[0], stop_block * block)
        # Silence rarely starts on a block edge: trim the zeros the edge blocks still hold.
        head = np.flatnonzero(samples[first : first + block])
        tail = np.flatnonzero(samples[max(first, stop - block) : stop])
        stretches.append((first + int(head[0]), max(first, stop - block) + int(tail[-1]) + 1))
    return stretches


def sift_recorded(
    audio: np.ndarray, sample_rate: int, params: SiftParameters, pad_samples: int
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The sift's regions, and the regions padded by `pad_samples`, of each recorded stretch on its own.

    Digital silence is no recording, so it must not become the noise floor (against -300 dB,
    any audio stands out) nor ring through the band-pass at its edges (the archive's DC offset
    steps to 0 there): each stretch is sifted as if it were a window, and padding stays in it.
    """
    regions: list[tuple[int, int]] = []
    segments: list[tuple[int, int]] = []
    for first, stop in recorded_stretches(audio):
        found = sift(audio[first:stop], sample_rate, params).regions
        regions += [(first + a, first + b) for a, b in found]
        segments += [(first + a, first + b) for a, b in pad_regions(found, pad_samples, stop - first)]
    return regions, segments
