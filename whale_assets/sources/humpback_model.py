"""The Google humpback whale model (TF Hub SavedModel) as a `Classifier`, scored in bounded chunks.

One `score` call on a whole hour needs >15 GB, and batch-1 calls per window waste hours on call
overhead, so `HumpbackModel.score` cuts the input into chunks of `chunk_windows` windows that
overlap by exactly one context minus one step and stacks equal chunks along the batch axis, at
most `max_batch_samples` samples per call (`core/scoring/model_batches.py`, shared with the
served model). The model applies PCEN per window, so chunked scores equal one-call scores window
for window.

TensorFlow is imported lazily: importing this module stays cheap for code that never scores.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.model_batches import plan_model_batches
from whale_assets.sources.model_precision import (
    BFLOAT16,
    DEFAULT_PRECISION,
    FLOAT32,
    INT8,
    PRECISION_ENV_VAR,
    PrecisionUnavailable,
    check_precision,
    precision_label,
    precision_scope,
    prepare_precision,
    resolve_precision,
)

DEFAULT_HANDLE = "https://tfhub.dev/google/humpback_whale/1"
MODEL_ENV_VAR = "WHALE_MODEL"
DEFAULT_CHUNK_WINDOWS = 16
"""16 windows (~16 s) per batch row, plus one context of overlap (its front end is computed twice)."""
DEFAULT_MAX_BATCH_SAMPLES = 400_000
"""2 rows of 16 windows per call: on 2 cores as fast as 180-window batches (the ResNet is
compute-bound either way), with ~0.07 GB of activations instead of ~0.4 GB."""


class ModelLoadError(RuntimeError):
    """The model handle could not be loaded, or its metadata does not fit the window grid."""


class HumpbackModel:
    """Scores 10 kHz waveforms with a loaded humpback SavedModel (see `load_humpback_model`)."""

    def __init__(
        self,
        module: Any,
        handle: str,
        grid: WindowGrid,
        context_step_samples: int,
        class_names: tuple[str, ...] = ("Mn",),
        chunk_windows: int = DEFAULT_CHUNK_WINDOWS,
        max_batch_samples: int = DEFAULT_MAX_BATCH_SAMPLES,
        max_batch_rows: int | None = None,
        precision: str = DEFAULT_PRECISION,
    ) -> None:
        if chunk_windows < 1:
            raise ValueError(f"chunk_windows must be >= 1, got {chunk_windows}")
        chunk_samples = grid.samples_for_windows(chunk_windows)
        if max_batch_samples < chunk_samples:
            raise ValueError(
                f"max_batch_samples={max_batch_samples} is below one chunk of {chunk_windows} windows "
                f"({chunk_samples} samples); raise it or lower chunk_windows"
            )
        self.name = precision_label(handle, precision)  # what tables and fingerprints call it
        self.handle = handle
        self.precision = precision
        self.grid = grid
        self.neighbourhood_windows = 0  # each window is judged on its own samples (per-window PCEN)
        self.class_names = class_names
        self.context_step_samples = context_step_samples
        self.chunk_windows = chunk_windows
        self.max_batch_samples = max_batch_samples
        rows = max_batch_samples // chunk_samples
        self.batch_rows = rows if max_batch_rows is None else max(1, min(rows, max_batch_rows))
        self._score_fn = module.signatures["score"] if module is not None else None  # None: `_call` is overridden
        self._module = module  # keeps the variables behind the signature alive

    def __repr__(self) -> str:
        return (
            f"HumpbackModel({self.name!r}, step={self.grid.step_samples} samples, "
            f"chunk_windows={self.chunk_windows}, batch_rows={self.batch_rows})"
        )

    def score(self, waveform: np.ndarray) -> np.ndarray:
        """float32 scores, one per `grid` window over `waveform` (1-D, 10 kHz); empty if too short."""
        x = np.asarray(waveform, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"waveform must be 1-D, got shape {x.shape}")
        scores = np.empty(self.grid.n_windows(x.size), dtype=np.float32)
        for batch in plan_model_batches(self.grid, x.size, self.chunk_windows, self.batch_rows):
            scores[batch.first_window : batch.stop_window] = self._call(batch.stack(x), batch.row_windows).ravel()
        return scores

    def _call(self, batch: np.ndarray, expected_windows: int) -> np.ndarray:
        """One model call on [rows, samples]; returns [rows, windows] after checking the count."""
        import tensorflow as tf

        if self._score_fn is None:
            raise TypeError(f"{type(self).__name__} has no TensorFlow score signature: it must override _call")
        with precision_scope(self.precision):
            out = self._score_fn(
                waveform=tf.constant(batch[:, :, np.newaxis]),
                context_step_samples=tf.constant(self.context_step_samples, tf.int64),
            )["scores"].numpy()
        scores = out.reshape(out.shape[0], out.shape[1])  # drop the single class axis
        if scores.shape != (batch.shape[0], expected_windows):
            raise RuntimeError(
                f"{self.name} returned {scores.shape[1]} windows for {batch.shape[1]} samples, "
                f"the grid {self.grid} expects {expected_windows}: model timing differs from the grid"
            )
        return scores


def _import_hub() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ INFO/WARNING banner, unless set
    try:
        configure_tf_threads()
        import tensorflow_hub as hub
    except ImportError as error:
        # Images built without the model (deploy/Dockerfile's default) meet this on the first score.
        raise ModelLoadError(
            f"the in-process humpback model needs TensorFlow ({error}); install whale_assets[model] "
            "(the image's WITH_MODEL=1), or set WHALE_CLASSIFIER to another classifier"
        ) from error
    return hub


def configure_tf_threads(threads: int | None = None) -> bool:
    """Size TensorFlow's thread pools to the cores this process may use, before TF first runs.

    One intra-op thread per core (the ResNet's convolutions use them all) and as many inter-op
    threads. Returns False when TensorFlow has already started (the pools can no longer change).
    """
    import tensorflow as tf

    if threads is None:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:  # "... cannot be modified after initialization"
        return False
    return True


def _load_help(handle: str) -> str:
    return (
        f"could not load the humpback model from {handle!r}. Point ${MODEL_ENV_VAR} at a local "
        f"SavedModel directory (e.g. the extracted TF Hub / Kaggle 'google/humpback-whale' archive "
        f"holding saved_model.pb and variables/)"
    )


_modules: dict[str, tuple[Any, dict[str, Any]]] = {}
_models: dict[tuple[Any, ...], HumpbackModel] = {}
_lock = threading.Lock()


def _load_module(handle: str) -> tuple[Any, dict[str, Any]]:
    """The loaded SavedModel and its metadata as Python values, loaded once per process."""
    with _lock:
        if handle in _modules:
            return _modules[handle]
        if "://" not in handle and not Path(handle).expanduser().is_dir():
            raise ModelLoadError(f"{_load_help(handle)}: no such directory")
        hub = _import_hub()
        try:
            module = hub.load(handle)
            meta = {key: value.numpy() for key, value in module.signatures["metadata"]().items()}
        except Exception as exc:  # network, format and signature errors all need the same advice
            raise ModelLoadError(f"{_load_help(handle)}: {type(exc).__name__}: {exc}") from exc
        _modules[handle] = (module, meta)
        return module, meta


def grid_from_metadata(meta: dict[str, Any], handle: str, context_step_samples: int) -> WindowGrid:
    """The window grid of a model whose `metadata()` is `meta`, checked against the known framing."""
    try:
        sample_rate = float(meta["input_sample_rate"])
        context = int(meta["context_width_samples"])
    except KeyError as exc:
        raise ModelLoadError(f"{handle}: metadata lacks {exc}; got keys {sorted(meta)}") from exc
    if sample_rate != int(sample_rate):
        raise ModelLoadError(f"{handle}: non-integer input_sample_rate {sample_rate}")
    grid = WindowGrid.for_step(context_step_samples, sample_rate=int(sample_rate))
    if context != grid.context_samples:
        raise ModelLoadError(
            f"{handle}: context_width_samples={context} but frame {grid.frame_samples}, hop "
            f"{grid.hop_samples} and {grid.context_frames} frames give {grid.context_samples}: "
            f"not the framing this code knows"
        )
    return grid


def load_humpback_model(
    handle: str = DEFAULT_HANDLE,
    context_step_samples: int = 10_000,
    max_batch_samples: int = DEFAULT_MAX_BATCH_SAMPLES,
    chunk_windows: int = DEFAULT_CHUNK_WINDOWS,
    precision: str = DEFAULT_PRECISION,
) -> HumpbackModel:
    """Load (once per process) the humpback model at `handle`: a TF Hub URL or SavedModel directory.

    `precision` (`float32`, `bfloat16`, `int8`, or `auto`: bfloat16 where this CPU has it natively,
    see `model_precision`) is how the model's arithmetic runs; the weights are loaded once per handle
    and shared by float32 and bfloat16; int8 is a converted copy run by LiteRT (`int8_model`).
    """
    precision = resolve_precision(check_precision(precision))
    key = (handle, context_step_samples, max_batch_samples, chunk_windows, precision)
    if key in _models:
        return _models[key]
    if precision == INT8:
        model = _load_int8(handle, context_step_samples, max_batch_samples, chunk_windows)
        with _lock:
            return _models.setdefault(key, model)
    module, meta = _load_module(handle)
    try:
        prepare_precision(precision)
    except PrecisionUnavailable as exc:
        raise ModelLoadError(f"{handle}: {exc}") from exc
    grid = grid_from_metadata(meta, handle, context_step_samples)
    names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in np.ravel(meta.get("class_names", [])))
    waveform_spec = module.signatures["score"].structured_input_signature[1].get("waveform")
    # Stack chunks only if the signature accepts a batch; a model pinned to batch 1 gets one row.
    rows = 1 if waveform_spec is not None and waveform_spec.shape[0] == 1 else None
    model = HumpbackModel(
        module, handle, grid, context_step_samples, names or ("Mn",), chunk_windows, max_batch_samples, rows, precision
    )
    with _lock:
        return _models.setdefault(key, model)


def _load_int8(handle: str, context_step_samples: int, max_batch_samples: int, chunk_windows: int) -> HumpbackModel:
    """The int8 LiteRT model of `handle` (converted and cached on first use, see `int8_model`)."""
    from whale_assets.sources import int8_model

    try:
        int8_model.litert_interpreter_class()
        prepare_precision(INT8)
    except PrecisionUnavailable as exc:
        raise ModelLoadError(f"{handle}: {exc}") from exc
    if "://" in handle:
        hub = _import_hub()
        try:
            model_dir = Path(hub.resolve(handle))  # the downloaded SavedModel the conversion reads
        except Exception as exc:
            raise ModelLoadError(f"{_load_help(handle)}: {type(exc).__name__}: {exc}") from exc
    elif Path(handle).expanduser().is_dir():
        model_dir = Path(handle).expanduser()
    else:
        raise ModelLoadError(f"{_load_help(handle)}: no such directory")
    rows = max(1, max_batch_samples // WindowGrid.for_step(context_step_samples).samples_for_windows(chunk_windows))
    threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        return int8_model.load_int8_model(handle, model_dir, context_step_samples, chunk_windows, rows, threads)
    except ModelLoadError:
        raise
    except Exception as exc:  # conversion failures name the model and the setting to fall back to
        raise ModelLoadError(
            f"{handle}: could not convert or load it as int8 ({type(exc).__name__}: {exc}); "
            f"use {PRECISION_ENV_VAR}={FLOAT32} or {BFLOAT16}"
        ) from exc


def clear_model_cache() -> None:
    """Forget loaded models (tests, or to free memory in a long-lived process)."""
    with _lock:
        _models.clear()
        _modules.clear()
