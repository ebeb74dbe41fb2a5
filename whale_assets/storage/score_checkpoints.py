"""Finished chunks of a day's scores, kept as `.npy` files so an interrupted run can resume.

Layout (under any store with `write`, `read` and `path`, e.g. the `checkpoints` FileStore):
`daily_scores/<YYYY-MM-DD>/<fingerprint>/chunk-<NNNN>.npy`, one float32 score per window the chunk
owns (NaN where there is no audio). The fingerprint covers everything that decides the scores
(model, window grid, chunk plan, file length, gap rule), so a run with another model or step
never picks up the wrong chunks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from typing import Any, Protocol

import numpy as np

from whale_assets.core.scoring.day_chunks import DayChunk, DayChunkPlan
from whale_assets.core.scoring.day_scoring import GAP_BLOCK_SAMPLES

FORMAT_VERSION = 1


class ByteStore(Protocol):
    def write(self, relative_path: str, data: bytes) -> str: ...

    def read(self, relative_path: str) -> bytes | None: ...

    def path(self, relative_path: str) -> Any: ...


def plan_fingerprint(model: str, plan: DayChunkPlan) -> str:
    recipe = {
        "version": FORMAT_VERSION,
        "model": model,
        "grid": [plan.grid.sample_rate, plan.grid.step_samples, plan.grid.context_samples],
        "archive": [plan.archive_rate, plan.n_archive_samples],
        "chunks": [plan.chunk_s, plan.margin_windows, plan.guard_samples],
        "gap_block": GAP_BLOCK_SAMPLES,
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


class ScoreCheckpoints:
    """`ChunkCheckpoints` for one day and plan, stored in a `ByteStore`."""

    def __init__(
        self, store: ByteStore, day: dt.date, model: str, plan: DayChunkPlan, prefix: str = "daily_scores"
    ) -> None:
        self.store = store
        self.day_dir = f"{prefix}/{day:%Y-%m-%d}"
        self.directory = f"{self.day_dir}/{plan_fingerprint(model, plan)}"

    def _name(self, chunk: DayChunk) -> str:
        return f"{self.directory}/chunk-{chunk.index:04d}.npy"

    def load(self, chunk: DayChunk) -> np.ndarray | None:
        data = self.store.read(self._name(chunk))
        if data is None:
            return None
        try:
            return np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError:  # a damaged file is scored again, not trusted
            return None

    def save(self, chunk: DayChunk, scores: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(scores, dtype=np.float32), allow_pickle=False)
        self.store.write(self._name(chunk), buffer.getvalue())

    def saved_chunks(self) -> list[str]:
        directory = self.store.path(self.directory)
        if not directory.exists():
            return []
        return sorted(p.name for p in directory.iterdir() if p.name.endswith(".npy"))

    def remove_day(self) -> None:
        """Remove every checkpoint of the day (all fingerprints)."""
        directory = self.store.path(self.day_dir)
        if directory.exists():
            directory.fs.rm(directory.path, recursive=True)
