"""The per-window contract: one typed record for every window asset, and its `index.json` form.

`raw_audio`, `sifted_audio` and `classifications` each store one record per audio window; each
asset fills the fields it knows (see the field comments). `window_record` and `window_entry` are
the only code that reads or writes the JSON form, and they keep a store written by earlier
versions readable: a missing status means `ok`, and keys this record does not know are kept in
`extra` and written back unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any

import pandas as pd

from whale_assets.core.utc import as_utc


class WindowStatus(str, Enum):
    """What a window holds: audio with signal, no audio in the archive, or audio without signal."""

    OK = "ok"
    NO_AUDIO = "no_audio"
    NO_SIGNAL = "no_signal"


Region = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True)
class ArrayFile:
    """Where a window's array sits in its partition directory (written by the storage layer)."""

    file: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int


@dataclass(frozen=True)
class WindowRecord:
    """One window of one array asset. Times are UTC-aware; absent fields are None (or empty)."""

    window_id: str
    status: WindowStatus = WindowStatus.OK
    encounter_ids: tuple[str, ...] = ()
    # raw_audio: the window read; sifted_audio: the kept span; classifications: its first score.
    start_utc: pd.Timestamp | None = None
    end_utc: pd.Timestamp | None = None
    sample_rate: int | None = None
    n_samples: int | None = None
    reason: str | None = None  # why there is no audio, or (raw_audio, coverage < 1) why part of it is missing
    # raw_audio: the fraction of the requested window that holds audio, i.e. neither a missing or
    # short day file nor digital silence; the array holds the longest stretch the archive has, and
    # start_utc/end_utc are that stretch. None in stores written before coverage was recorded.
    audio_coverage: float | None = None
    # sifted_audio: the spans whose band energy passed the threshold, in time order ...
    regions_utc: tuple[Region, ...] = ()
    # ... and the stretches stored and scored: each region padded by one model context, overlaps
    # merged; the window's array is these stretches one after another. Empty in stores written
    # before regions were scored: there the array is the one stretch [start_utc, end_utc).
    segments_utc: tuple[Region, ...] = ()
    sifted_seconds: float | None = None  # total length of segments_utc
    kept_fraction: float | None = None
    # classifications
    score_source: str | None = None
    model: str | None = None
    step_s: float | None = None
    context_s: float | None = None
    n_scores: int | None = None
    max_score: float | None = None
    array: ArrayFile | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys of other versions, kept as read

    @property
    def ok(self) -> bool:
        return self.status is WindowStatus.OK

    @property
    def required_sample_rate(self) -> int:
        """`sample_rate` of a window that holds audio (every ok audio window has one); an error otherwise."""
        if self.sample_rate is None:
            raise ValueError(f"window {self.window_id!r} ({self.status.value}) records no sample rate")
        return int(self.sample_rate)


# Written as JSON null when None (older stores did so); every other None field is left out.
_ALWAYS_WRITTEN = frozenset({"max_score"})
_ARRAY_KEYS = ("file", "dtype", "shape", "nbytes")
_TIMES = ("start_utc", "end_utc")
_INTS = ("sample_rate", "n_samples", "n_scores")
_FLOATS = ("audio_coverage", "sifted_seconds", "kept_fraction", "step_s", "context_s", "max_score")
_TEXTS = ("reason", "score_source", "model")
# Each field's reader from JSON (and, times aside, its writer to JSON).
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(_TIMES, as_utc),
    **dict.fromkeys(_INTS, int),
    **dict.fromkeys(_FLOATS, float),
    **dict.fromkeys(_TEXTS, str),
}
_KNOWN = frozenset(f.name for f in fields(WindowRecord)) - {"array", "extra"} | set(_ARRAY_KEYS)


def window_record(entry: Mapping[str, Any]) -> WindowRecord:
    """The record of one `index.json` window entry (any version written so far)."""
    values: dict[str, Any] = {
        "window_id": str(entry["window_id"]),
        "status": WindowStatus(entry.get("status", WindowStatus.OK.value)),
        "encounter_ids": tuple(str(i) for i in entry.get("encounter_ids", ())),
        "regions_utc": _intervals(entry.get("regions_utc", ())),
        "segments_utc": _intervals(entry.get("segments_utc", ())),
        "extra": {k: v for k, v in entry.items() if k not in _KNOWN},
    }
    for name, convert in _CONVERTERS.items():
        value = entry.get(name)
        values[name] = None if value is None else convert(value)
    if entry.get("file"):
        values["array"] = ArrayFile(
            entry["file"], str(entry["dtype"]), tuple(int(n) for n in entry["shape"]), int(entry["nbytes"])
        )
    return WindowRecord(**values)


def window_entry(record: WindowRecord) -> dict[str, Any]:
    """The JSON-ready `index.json` entry of `record`: times as ISO strings, the file null without an array."""
    entry: dict[str, Any] = {"window_id": record.window_id, "status": record.status.value}
    if record.encounter_ids:
        entry["encounter_ids"] = list(record.encounter_ids)
    for name, convert in _CONVERTERS.items():
        value = getattr(record, name)
        if value is not None:
            entry[name] = as_utc(value).isoformat() if name in _TIMES else convert(value)
        elif name in _ALWAYS_WRITTEN and record.n_scores is not None:
            entry[name] = None
    for name in ("regions_utc", "segments_utc"):
        if getattr(record, name):
            entry[name] = [[as_utc(a).isoformat(), as_utc(b).isoformat()] for a, b in getattr(record, name)]
    entry.update({k: v for k, v in record.extra.items() if k not in entry})
    entry["file"] = None
    if record.array is not None:
        array = record.array
        entry.update(file=array.file, dtype=array.dtype, shape=list(array.shape), nbytes=array.nbytes)
    return entry


def stored_segments(record: WindowRecord) -> tuple[Region, ...]:
    """The stretches a sifted window's array holds, in order (one for stores from before regions)."""
    if record.segments_utc:
        return record.segments_utc
    return ((record.start_utc, record.end_utc),) if record.start_utc is not None else ()


def _intervals(pairs: Any) -> tuple[Region, ...]:
    return tuple((as_utc(a), as_utc(b)) for a, b in pairs)
