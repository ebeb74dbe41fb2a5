"""The window grid over REST, where the `metadata` signature cannot be called.

TF Serving's JSON layer refuses Predict on a signature without inputs (util/json_tensor.cc,
FillPredictRequestFromJson: "Failed to get input map for signature"), so over REST the client
reads the signature defs from `GET /v1/models/NAME[/versions/N]/metadata`, checks `score`, and
finds the context width by scoring two lengths of silence one sample apart, placed where the
model's documented framing (`WindowGrid`, 10 kHz) goes from one window to two: n windows over N
samples means context in (N - n*step, N - (n-1)*step], and the two intervals meet in one value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.sources.humpback_model import ModelLoadError, grid_from_metadata
from whale_assets.sources.model_server.errors import SIGNATURES_HELP, ModelServerError
from whale_assets.sources.model_server.spec import ServedModelSpec


@dataclass(frozen=True)
class TensorInfo:
    dtype: str
    """TF's DataType name, e.g. `DT_FLOAT`."""
    shape: tuple[int, ...] | None
    """-1 for a dimension of any size; None for an unknown rank."""


@dataclass(frozen=True)
class SignatureDef:
    inputs: dict[str, TensorInfo]
    outputs: dict[str, TensorInfo]


@dataclass(frozen=True)
class ModelMetadata:
    version: int | None
    signatures: dict[str, SignatureDef]


SCORE_INPUTS = {"waveform": TensorInfo("DT_FLOAT", (-1, -1, 1)), "context_step_samples": TensorInfo("DT_INT64", ())}
SCORE_OUTPUT = "scores"


def parse_model_metadata(answer: dict) -> ModelMetadata:
    """TF Serving's REST model metadata (GetModelMetadataResponse as JSON) as typed signature defs."""
    defs = answer.get("metadata", {}).get("signature_def", {}).get("signature_def", {})
    version = answer.get("model_spec", {}).get("version")
    return ModelMetadata(
        int(version) if version not in (None, "") else None,
        {name: SignatureDef(_tensors(d.get("inputs", {})), _tensors(d.get("outputs", {}))) for name, d in defs.items()},
    )


def _tensors(infos: dict) -> dict[str, TensorInfo]:
    found = {}
    for key, info in infos.items():
        shape = info.get("tensor_shape", {})
        dims = None if shape.get("unknown_rank") else tuple(int(d.get("size", -1)) for d in shape.get("dim", []))
        found[key] = TensorInfo(str(info.get("dtype", "DT_INVALID")), dims)
    return found


def check_score_signature(metadata: ModelMetadata, spec: ServedModelSpec) -> None:
    """ModelServerError (permanent) unless `score` takes the humpback model's inputs and returns `scores`."""
    score = metadata.signatures.get("score")
    if score is None:
        problem = f"has no signature 'score' (it serves {sorted(metadata.signatures)})"
    elif score.inputs != SCORE_INPUTS or SCORE_OUTPUT not in score.outputs:
        problem = f"signature 'score' takes {score.inputs} and returns {sorted(score.outputs)}, not {SCORE_INPUTS} -> 'scores'"
    else:
        return
    raise ModelServerError(f"{spec} {problem}", transient=False, what_to_do=SIGNATURES_HELP)


def probe_grid(count_windows: Callable[[int], int], spec: ServedModelSpec, context_step_samples: int) -> WindowGrid:
    """The grid, from the windows `count_windows(n_samples)` (one Predict on `score`) finds in two lengths."""
    framing = WindowGrid.for_step(context_step_samples)
    step = framing.step_samples
    low, high = 0, math.inf  # the context width is in (low, high]
    for n_samples in (framing.samples_for_windows(2) - 1, framing.samples_for_windows(2)):
        n = count_windows(n_samples)
        low = max(low, n_samples - n * step)
        if n > 0:
            high = min(high, n_samples - (n - 1) * step)
    if high - low != 1:
        raise ModelServerError(
            f"{spec} signature 'score' gives windows that no context width explains with a {step}-sample step",
            transient=False,
            what_to_do=SIGNATURES_HELP,
        )
    try:
        return grid_from_metadata(
            {"input_sample_rate": framing.sample_rate, "context_width_samples": int(high)},
            str(spec),
            context_step_samples,
        )
    except ModelLoadError as error:
        raise ModelServerError(str(error), transient=False, what_to_do=SIGNATURES_HELP) from error


def silence(n_samples: int) -> np.ndarray:
    return np.zeros((1, n_samples, 1), dtype=np.float32)
