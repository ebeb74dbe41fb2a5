"""The humpback model served by TF Serving, as a `Classifier`.

Scores exactly the windows `HumpbackModel` scores (`core/scoring/model_batches.py`: chunks of
`chunk_windows` windows overlapping by one context minus one step, stacked `batch_rows` per
request), with `concurrency` requests in flight so the server's cores stay busy while the next
request is encoded and sent. Each request is retried on transient failures (`retry.py`).

Nothing here imports TensorFlow: the messages come from `protos.py`, REST is JSON over requests.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from whale_assets.core.scoring.classifier import WindowGrid
from whale_assets.core.scoring.model_batches import ModelBatch, plan_model_batches
from whale_assets.sources.humpback_model import DEFAULT_CHUNK_WINDOWS, ModelLoadError, grid_from_metadata
from whale_assets.sources.model_server.errors import SIGNATURES_HELP, ModelServerError
from whale_assets.sources.model_server.rest_transport import RestTransport
from whale_assets.sources.model_server.retry import Backoff, with_retries
from whale_assets.sources.model_server.score_probe import check_score_signature, probe_grid, silence
from whale_assets.sources.model_server.spec import ServedModelSpec
from whale_assets.sources.model_server.transport import Transport

DEFAULT_MAX_REQUEST_SAMPLES = 800_000
"""4 rows of 16-window chunks (754 096 samples) per request: ~3.0 MB as a gRPC TensorProto, ~13 MB
as REST JSON; ~0.8 s of work for the real-size model on 2 cores."""
DEFAULT_CONCURRENCY = 3
DEFAULT_BACKOFF = Backoff()
METADATA_OUTPUTS = ("input_sample_rate", "context_width_samples", "class_names")


class ServedModel:
    """Scores 10 kHz waveforms with the humpback model on a TF Serving instance (see `load_served_model`)."""

    def __init__(
        self,
        transport: Transport,
        spec: ServedModelSpec,
        grid: WindowGrid,
        context_step_samples: int,
        version: int | None,
        class_names: tuple[str, ...] = ("Mn",),
        backoff: Backoff = DEFAULT_BACKOFF,
        chunk_windows: int = DEFAULT_CHUNK_WINDOWS,
        max_request_samples: int = DEFAULT_MAX_REQUEST_SAMPLES,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        chunk_samples = grid.samples_for_windows(chunk_windows)
        if max_request_samples < chunk_samples:
            raise ValueError(f"max_request_samples={max_request_samples} is below one chunk ({chunk_samples} samples)")
        self.spec = spec
        self.version = version
        self.name = served_label(spec, version)
        self.grid = grid
        self.neighbourhood_windows = 0  # per-window PCEN, as in-process
        self.class_names = class_names
        self.context_step_samples = context_step_samples
        self.chunk_windows = chunk_windows
        self.batch_rows = max_request_samples // chunk_samples
        self.concurrency = concurrency
        self._transport = transport
        self._backoff = backoff

    @property
    def label(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"ServedModel({self.name!r}, step={self.grid.step_samples} samples, batch_rows={self.batch_rows})"

    def score(self, waveform: np.ndarray) -> np.ndarray:
        """float32 scores, one per `grid` window over `waveform` (1-D, 10 kHz); empty if too short."""
        x = np.asarray(waveform, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError(f"waveform must be 1-D, got shape {x.shape}")
        scores = np.empty(self.grid.n_windows(x.size), dtype=np.float32)
        batches = list(plan_model_batches(self.grid, x.size, self.chunk_windows, self.batch_rows))
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="served-model") as pool:
            # Each task cuts its own rows when it runs: at most `concurrency` requests' audio is held.
            for batch, result in zip(batches, pool.map(lambda b: self._score_batch(x, b), batches), strict=True):
                scores[batch.first_window : batch.stop_window] = result.ravel()
        return scores

    def close(self) -> None:
        self._transport.close()

    def _score_batch(self, x: np.ndarray, batch: ModelBatch) -> np.ndarray:
        rows = batch.stack(x)[:, :, np.newaxis]
        inputs = {"waveform": rows, "context_step_samples": np.int64(self.context_step_samples)}
        prediction = with_retries(lambda: self._transport.predict("score", inputs, ("scores",)), self._backoff)
        if prediction.version is not None and self.version is not None and prediction.version != self.version:
            raise ModelServerError(
                f"{self.spec} answered with version {prediction.version}, the run started on {self.version}",
                transient=False,
                what_to_do="the server switched model versions mid-run: run again to score with the new version",
            )
        out = prediction.outputs["scores"]
        scores = out.reshape(out.shape[0], -1) if out.ndim >= 2 else out
        if scores.shape != (len(batch.row_starts), batch.row_windows):
            raise ModelServerError(
                f"{self.name} returned scores of shape {out.shape} for {rows.shape[0]} rows of {rows.shape[1]} samples; "
                f"the grid {self.grid} expects {batch.row_windows} windows per row",
                transient=False,
                what_to_do=SIGNATURES_HELP,
            )
        return scores.astype(np.float32, copy=False)


def served_label(spec: ServedModelSpec, version: int | None) -> str:
    """What scores and fingerprints record: server, model name and the version that answered."""
    return f"{spec.server}/models/{spec.name}/versions/{'unknown' if version is None else version}"


def make_transport(spec: ServedModelSpec, connect_s: float, read_s: float) -> Transport:
    if spec.server.is_grpc:
        from whale_assets.sources.model_server.grpc_transport import GrpcTransport

        return GrpcTransport(spec, timeout_s=connect_s + read_s)
    return RestTransport(spec, connect_s, read_s)


def load_served_model(
    spec: ServedModelSpec,
    context_step_samples: int = 10_000,
    connect_s: float | None = None,
    read_s: float | None = None,
    backoff: Backoff | None = None,
    **options,
) -> ServedModel:
    """Ask the server for the model's grid and version and check its `score` signature.

    gRPC: Predict on the `metadata` signature (TF Serving runs a signature without inputs over gRPC:
    predict_util.cc checks only that the input counts match), then one window of silence through
    `score`. REST: TF Serving refuses that Predict, so `score_probe.py` reads the signature defs
    and finds the context width from `score` itself; class names are then the model's `("Mn",)`.

    Timeouts and attempts default to `WHALE_CONNECT_TIMEOUT_S`/`WHALE_READ_TIMEOUT_S`/
    `WHALE_NETWORK_ATTEMPTS` (`io_rules/network.py`). `options` go to `ServedModel`.
    """
    from whale_assets.io_rules.network import network_timeouts_from_env

    timeouts = network_timeouts_from_env()
    backoff = backoff or Backoff(attempts=timeouts.attempts)
    transport = make_transport(spec, connect_s or timeouts.connect_s, read_s or timeouts.read_s)
    if isinstance(transport, RestTransport):
        grid, version = _probed_grid(transport, spec, context_step_samples, backoff)
        return ServedModel(transport, spec, grid, context_step_samples, version, ("Mn",), backoff, **options)
    metadata = with_retries(lambda: transport.predict("metadata", {}, METADATA_OUTPUTS), backoff)
    version = metadata.version or with_retries(transport.served_version, backoff)
    meta = {key: value.item() if value.ndim == 0 else value for key, value in metadata.outputs.items()}
    try:
        grid = grid_from_metadata(meta, str(spec), context_step_samples)
    except ModelLoadError as error:
        raise ModelServerError(str(error), transient=False, what_to_do=SIGNATURES_HELP) from error
    names = tuple(n.decode() if isinstance(n, bytes) else str(n) for n in np.ravel(meta["class_names"]))
    model = ServedModel(transport, spec, grid, context_step_samples, version, names or ("Mn",), backoff, **options)
    # One window of silence through `score`: a missing signature or other timing fails here, not mid-day.
    model.score(np.zeros(grid.samples_for_windows(1), dtype=np.float32))
    return model


def _probed_grid(
    transport: RestTransport, spec: ServedModelSpec, context_step_samples: int, backoff: Backoff
) -> tuple[WindowGrid, int | None]:
    """REST cannot run the input-less `metadata` signature: signature defs, then `score` on two lengths."""
    metadata = with_retries(transport.model_metadata, backoff)
    check_score_signature(metadata, spec)

    def count_windows(n_samples: int) -> int:
        inputs = {"waveform": silence(n_samples), "context_step_samples": np.int64(context_step_samples)}
        scores = with_retries(lambda: transport.predict("score", inputs, ("scores",)), backoff).outputs["scores"]
        return int(scores.shape[1]) if scores.ndim >= 2 else int(scores.size)

    grid = probe_grid(count_windows, spec, context_step_samples)
    return grid, metadata.version or with_retries(transport.served_version, backoff)
