"""The humpback model in int8 (WHALE_MODEL_PRECISION=int8): converted once to LiteRT, cached, run by LiteRT.

TensorFlow has no int8 path for a float SavedModel, so the model's `score` signature is converted
to a LiteRT (TFLite) flatbuffer with full-integer quantization of its ResNet (every convolution and
residual add in int8, run by XNNPACK's int8 kernels, which use AVX-512 VNNI where the CPU has it);
`FLOAT_OPS` stay float32:

- the head (pooling, Dense, sigmoid): an int8 sigmoid can only output multiples of 1/256, which
  turns scores near the 0.5 threshold into 0.5 or 0.504;
- PCEN's arithmetic in the front end (`DIV`, `POW`, `SQRT`, `SUB`, `MUL`; the smoother and mel
  matmuls are `FULLY_CONNECTED`): an int8 `DIV` fails at run time on the trained real-size
  stand-in ("div.cc: data[i] != zero_point": a divisor quantized to exactly zero), and these ops
  cost little next to the ResNet. The STFT has no int8 kernel and stays float32 anyway.
- the front end's data movement (`STRIDED_SLICE`, `GATHER`, `TRANSPOSE`, `PACK`,
  `CONCATENATION`): otherwise the converter quantizes the waveform itself to 8 bits as it is
  sliced and framed (the quantization debugger showed a step of 2.4e-5 for audio whose ambient
  noise is ~8e-5 around a -0.0034 DC offset). The ResNet has none of these ops. PCEN's one `ADD`
  stays int8: op types cannot tell it from the residual adds, and naming it
  (`denylisted_nodes=["add_1"]`) did not change the trained stand-in's scores.

Calibration (the activation ranges of every int8 tensor) runs on a fixed, seeded MARS-like scene
(`calibration_batches`: song at 6 and 15 dB, a ship, blue and fin calls, an earthquake, ambient
noise), so converting the same model twice gives the same file. The conversion needs TensorFlow
(whale_assets[model]) and takes seconds for the test stand-in, ~1 min and ~2 GB for the real-size
model; its result is cached outside the repository under `int8_cache_dir()`, keyed by the model
files' content, the window step, the batch shape, `INT8_RECIPE` and the TensorFlow version.
Scoring needs only LiteRT (`ai-edge-litert`, whale_assets[int8]) once the cache holds the model.

Bias correction: on the trained real-size stand-in the int8 model ranks windows as float32 does
(ROC AUC 0.992-0.996 vs 0.990-0.997) but its logits sit ~9 higher (median over the calibration
windows neither saturates; correlation 0.95), so most windows float32 scores low crossed 0.5.
The conversion scores the calibration audio with both and picks the logit shift that puts the
most windows on float32's side of 0.5 (`logit_offset`; 0 when int8 already agrees), stores it
with the model (6.95 for that stand-in), and `Int8HumpbackModel` subtracts it from every score's logit. A score
the float32 sigmoid has saturated (float32 logits beyond ~17) keeps its side of 0.5.

The converted model has a fixed input, `rows` x `chunk_windows` windows with the step baked in, so
`Int8HumpbackModel` pads a short last call with zeros; windows are scored independently (the
model normalises each window on its own), so padding does not change the real windows' scores.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.sources.humpback_model import HumpbackModel, ModelLoadError, grid_from_metadata
from whale_assets.sources.model_precision import INT8, INT8_RECIPE, PRECISION_ENV_VAR, PrecisionUnavailable

FLOAT_OPS = (
    "FULLY_CONNECTED",
    "MEAN",
    "LOGISTIC",
    "RESHAPE",
    "DIV",
    "POW",
    "SQRT",
    "SUB",
    "MUL",
    "STRIDED_SLICE",
    "GATHER",
    "TRANSPOSE",
    "PACK",
    "CONCATENATION",
)
"""Ops kept in float32: the head and PCEN's front end (see the module docstring)."""
CALIBRATION_SEED = 7
CALIBRATION_BATCHES = 8
"""Calibration calls of the model's own batch shape (8 x 32 windows, ~5 min of audio at step 1 s)."""
SATURATED = 1e-6
"""Scores this close to 0 or 1 say nothing about their logit (float32's sigmoid saturates at ~17)."""
BIAS_TOLERATED = 0.05
"""Share of calibration windows int8 may put on the other side of 0.5 before its logits are shifted."""
INSTALL_HINT = "install whale_assets[int8] (pip install ai-edge-litert)"

log = logging.getLogger(__name__)


class Int8RuntimeMissing(PrecisionUnavailable):
    """LiteRT (the int8 runtime) is not installed."""


def litert_interpreter_class() -> type:
    """LiteRT's `Interpreter`, or `Int8RuntimeMissing` saying what to install."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError as error:
        raise Int8RuntimeMissing(
            f"{PRECISION_ENV_VAR}={INT8} runs the model with LiteRT, which is not installed ({error}); "
            f"{INSTALL_HINT}, or use another {PRECISION_ENV_VAR}"
        ) from error
    return Interpreter


def int8_cache_dir() -> Path:
    """Where converted models are kept: $XDG_CACHE_HOME/whale_assets/int8 (default ~/.cache/...)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "whale_assets" / "int8"


def model_files_digest(model_dir: Path) -> str:
    """sha256 over the SavedModel's graph and variables (names and bytes), so a retrained model gets a new key."""
    digest = hashlib.sha256()
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        if path.name == "saved_model.pb" or "variables" in path.relative_to(model_dir).parts:
            digest.update(str(path.relative_to(model_dir)).encode() + b"\0")
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


class Int8HumpbackModel(HumpbackModel):
    """`HumpbackModel`'s chunking and grid, each call run by a LiteRT interpreter on the int8 model."""

    def __init__(
        self,
        interpreter: Any,
        handle: str,
        grid: WindowGrid,
        context_step_samples: int,
        class_names: tuple[str, ...],
        chunk_windows: int,
        rows: int,
        threads: int,
        logit_offset: float = 0.0,
    ) -> None:
        super().__init__(
            None,
            handle,
            grid,
            context_step_samples,
            class_names,
            chunk_windows,
            max_batch_samples=rows * grid.samples_for_windows(chunk_windows),
            max_batch_rows=rows,
            precision=INT8,
        )
        self.threads = threads
        self.logit_offset = logit_offset
        self._runner = interpreter.get_signature_runner()
        self._interpreter = interpreter  # the runner refers to it
        self._input_shape = (rows, grid.samples_for_windows(chunk_windows), 1)
        self.cache_entry: Path | None = None  # where its conversion is cached (set by the loader)
        self._run_lock = threading.Lock()  # an interpreter runs one call at a time

    def _call(self, batch: np.ndarray, expected_windows: int) -> np.ndarray:
        rows, samples = batch.shape
        padded = np.zeros(self._input_shape, np.float32)
        padded[:rows, :samples, 0] = batch
        with self._run_lock:
            out = self._runner(waveform=padded)["scores"]
        scores = out.reshape(self._input_shape[0], -1)[:rows, :expected_windows]
        if self.logit_offset:  # the bias correction measured at conversion (see the module docstring)
            scores = 1 / (1 + np.exp(-(logit(scores) - self.logit_offset)))
        return scores.astype(np.float32)


def load_int8_model(
    handle: str, model_dir: Path, context_step_samples: int, chunk_windows: int, rows: int, threads: int
) -> Int8HumpbackModel:
    """The int8 model for the SavedModel in `model_dir`, converted on first use and cached."""
    interpreter_class = litert_interpreter_class()  # fail before a minute of conversion, not after
    key_text = json.dumps(
        [model_files_digest(model_dir), context_step_samples, chunk_windows, rows, INT8_RECIPE, _tensorflow_version()]
    )
    entry = int8_cache_dir() / hashlib.sha256(key_text.encode()).hexdigest()[:24]
    if not (entry / "model.tflite").exists():
        started = time.perf_counter()
        log.info(
            "%s=%s: converting %s to int8 (calibrated on MARS-like audio), cached in %s",
            PRECISION_ENV_VAR,
            INT8,
            handle,
            entry,
        )
        convert_to_int8(model_dir, context_step_samples, chunk_windows, rows, entry)
        log.info("int8 conversion of %s took %.0f s", handle, time.perf_counter() - started)
    meta = json.loads((entry / "conversion.json").read_text())
    grid = grid_from_metadata(meta["metadata"], handle, context_step_samples)
    interpreter = interpreter_class(model_path=str(entry / "model.tflite"), num_threads=threads)
    model = Int8HumpbackModel(
        interpreter,
        handle,
        grid,
        context_step_samples,
        tuple(meta["class_names"]),
        chunk_windows,
        rows,
        threads,
        float(meta.get("logit_offset", 0.0)),
    )
    model.cache_entry = entry
    return model


def _tensorflow_version() -> str:
    """The installed TensorFlow's version without importing it (a cached model needs no TensorFlow)."""
    try:
        return importlib.metadata.version("tensorflow")
    except importlib.metadata.PackageNotFoundError:
        return "none"


def calibration_batches(rows: int, samples: int, n_batches: int = CALIBRATION_BATCHES) -> Iterator[np.ndarray]:
    """[rows, samples, 1] float32 batches of one seeded 10 kHz MARS-like scene, in order.

    The scene holds what the scorer meets at sea (song at 6 and 15 dB, a ship at closest approach,
    blue and fin calls, an earthquake, ambient noise alone), so the activation ranges cover both
    quiet and loud windows; it is never audio the tests or benchmarks score.
    """
    from whale_assets.core.synthesis.mars_scene import (
        BaleenCalls,
        Earthquake,
        MarsScene,
        ShipPassage,
        SongSession,
        render,
    )

    duration = n_batches * rows * samples / 10_000 + 1
    fifth = duration / 5
    scene = MarsScene(
        duration,
        seed=CALIBRATION_SEED,
        sample_rate=10_000,
        song=(SongSession(5.0, fifth, 6.0), SongSession(3 * fifth, fifth, 15.0)),
        ships=(ShipPassage(1.5 * fifth, 1.5 * fifth, 15.0),),
        baleen=(BaleenCalls("blue", 0.0, duration, 10.0), BaleenCalls("fin", 2 * fifth, fifth, 10.0)),
        earthquakes=(Earthquake(4.2 * fifth, 20.0),),
    )
    audio = render(scene).astype(np.float32)
    for b in range(n_batches):
        rows_ = [audio[(b * rows + r) * samples : (b * rows + r + 1) * samples] for r in range(rows)]
        yield np.stack(rows_)[:, :, np.newaxis]


def convert_to_int8(model_dir: Path, context_step_samples: int, chunk_windows: int, rows: int, entry: Path) -> None:
    """Convert, calibrate and check the SavedModel's `score` signature; write it atomically to `entry`.

    Needs TensorFlow. The workarounds, each needed with TensorFlow 2.15-2.21 on this model:

    - `TFLiteConverter.from_saved_model(dir, signature_keys=["score"])` fails: the int64 `FloorDiv`
      (`context_step_samples // 300`) has no TFLite kernel; allowing SELECT_TF_OPS for it converts,
      but the result does not load ("Tensor N is invalidly specified in schema"). So the signature
      is called from a `tf.function` with a fixed input shape and the step as a constant, and that
      concrete function is converted.
    - Even so `tf.signal.frame`'s step stays a run-time value, and the converter writes one
      reshape (PCEN's smoother einsum in the real model) with a static -1 dimension that the
      interpreter rejects: `_static_shape_fix` rewrites such dimensions to 1 in the flatbuffer
      (the op computes the real shape when it runs).
    - The calibrator builds its own interpreter on the converted model before that fix could be
      applied, so its private hook `_calibrator.add_intermediate_tensors` is wrapped to apply it
      (restored afterwards). `_experimental_calibrate_only` + `mlir_quantize(denylisted_ops=...)`
      are the converter's own (private) way to keep some ops float32 after one calibration.
    """
    import tensorflow as tf
    from tensorflow.lite.python import convert as tflite_convert
    from tensorflow.lite.python import lite as tflite_lite

    from whale_assets.sources.humpback_model import _import_hub

    _import_hub()  # thread settings and the C++ log level, as for the float model
    grid_meta, class_names, fixed, loaded, samples = _fixed_shape_function(
        tf, model_dir, context_step_samples, chunk_windows, rows
    )
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fixed.get_concrete_function()], loaded)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([batch] for batch in calibration_batches(rows, samples))
    converter._experimental_calibrate_only = True
    add_intermediates = tflite_lite._calibrator.add_intermediate_tensors
    tflite_lite._calibrator.add_intermediate_tensors = lambda model: _static_shape_fix(add_intermediates(model))[0]
    try:
        calibrated = converter.convert()
    finally:
        tflite_lite._calibrator.add_intermediate_tensors = add_intermediates
    flat, fixed_shapes = _static_shape_fix(tflite_convert.mlir_quantize(calibrated, denylisted_ops=list(FLOAT_OPS)))

    # Check before caching: the file loads in LiteRT and scores the calibration audio; the same
    # audio through TensorFlow gives the logit offset the int8 model is corrected by.
    runner = litert_interpreter_class()(model_content=flat).get_signature_runner()
    int8_scores, float_scores = [], []
    for batch in calibration_batches(rows, samples):
        out = runner(waveform=batch)["scores"]
        if out.size != rows * chunk_windows or not np.all(np.isfinite(out)):
            raise ModelLoadError(
                f"{model_dir}: the int8 model returned {out.shape} scores, expected {rows} x {chunk_windows}"
            )
        int8_scores.append(out.ravel())
        float_scores.append(fixed(tf.constant(batch))["scores"].numpy().ravel())
    offset = logit_offset(np.concatenate(int8_scores), np.concatenate(float_scores))
    entry.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=entry.name + ".", dir=entry.parent))
    (staging / "model.tflite").write_bytes(flat)
    (staging / "conversion.json").write_text(
        json.dumps(
            {
                "metadata": grid_meta,
                "class_names": class_names,
                "rows": rows,
                "chunk_windows": chunk_windows,
                "context_step_samples": context_step_samples,
                "recipe": INT8_RECIPE,
                "float_ops": FLOAT_OPS,
                "calibration": f"{CALIBRATION_BATCHES} batches of {rows} x {samples} samples, MarsScene seed {CALIBRATION_SEED}",
                "tensorflow": tf.__version__,
                "static_shapes_fixed": fixed_shapes,
                "source": str(model_dir),
                "logit_offset": offset,
            },
            indent=1,
        )
    )
    try:
        staging.rename(entry)  # atomic: a concurrent loader sees the whole entry or none
    except OSError:  # another process converted it first: keep theirs
        for path in staging.iterdir():
            path.unlink()
        staging.rmdir()


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), SATURATED, 1 - SATURATED)
    return np.log(p) - np.log1p(-p)


def logit_offset(int8_scores: np.ndarray, float_scores: np.ndarray) -> float:
    """The shift of int8's logits that makes the most windows fall on float32's side of 0.5.

    Only a gross miscalibration is corrected: when int8 unshifted puts at most `BIAS_TOLERATED` of
    the calibration windows on the other side, 0.0 (a shift fitted on a few hundred windows would
    be noise; on the small test stand-in a fitted 0.55 made held-out crossings worse, 2 % -> 8 %).
    Otherwise, among the shifts (steps of 0.05 within +-20) with the fewest disagreeing windows, the
    middle of the run of such shifts nearest 0, so the shift is not chosen at an edge.
    """
    shifts = np.round(np.arange(-400, 401) * 0.05, 2)
    above = float_scores >= 0.5
    int8_logits = logit(int8_scores)
    disagree = np.array([np.count_nonzero((int8_logits - shift >= 0) != above) for shift in shifts])
    if disagree[400] <= BIAS_TOLERATED * above.size:  # shifts[400] == 0
        return 0.0
    best = np.flatnonzero(disagree == disagree.min())
    nearest = best[np.argmin(np.abs(shifts[best]))]
    first = last = nearest
    while first - 1 in best:
        first -= 1
    while last + 1 in best:
        last += 1
    return 0.0 if first <= 400 <= last else float(shifts[(first + last) // 2])


def _fixed_shape_function(tf: Any, model_dir: Path, step: int, chunk_windows: int, rows: int) -> tuple:
    """The `score` signature called with a fixed [rows, samples, 1] input and a constant step."""
    loaded = tf.saved_model.load(str(model_dir))
    meta = {key: value.numpy() for key, value in loaded.signatures["metadata"]().items()}
    grid_meta = {
        "input_sample_rate": float(meta["input_sample_rate"]),
        "context_width_samples": int(meta["context_width_samples"]),
    }
    names = [n.decode() if isinstance(n, bytes) else str(n) for n in np.ravel(meta.get("class_names", []))] or ["Mn"]
    samples = grid_from_metadata(grid_meta, str(model_dir), step).samples_for_windows(chunk_windows)
    score: Callable = loaded.signatures["score"]

    @tf.function(input_signature=[tf.TensorSpec([rows, samples, 1], tf.float32, name="waveform")])
    def fixed(waveform):
        return score(waveform=waveform, context_step_samples=tf.constant(step, tf.int64))

    return grid_meta, names, fixed, loaded, samples


def _static_shape_fix(model: bytes) -> tuple[bytes, int]:
    """Give tensors written with a static -1 dimension a placeholder 1 (kept -1 in the shape signature)."""
    from tensorflow.lite.tools import flatbuffer_utils

    parsed = flatbuffer_utils.read_model_from_bytearray(bytearray(model))
    fixed = 0
    for graph in parsed.subgraphs:
        for tensor in graph.tensors:
            shape = np.asarray(tensor.shape if tensor.shape is not None else [], dtype=np.int32)
            if shape.size and (shape < 0).any():
                if tensor.shapeSignature is None or not len(tensor.shapeSignature):
                    tensor.shapeSignature = shape.copy()
                tensor.shape = np.where(shape < 0, 1, shape).astype(np.int32)
                fixed += 1
    return bytes(flatbuffer_utils.convert_object_to_bytearray(parsed)), fixed
