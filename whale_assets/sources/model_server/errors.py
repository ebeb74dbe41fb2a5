"""Model server failures, each marked transient (retry with backoff) or permanent (say what to fix)."""

from __future__ import annotations

from whale_assets.sources.model_server.spec import NAME_ENV, SERVER_ENV, VERSION_ENV, ServedModelSpec

TRANSIENT_GRPC_CODES = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"})
SIGNATURES_HELP = (
    "the served model must be Google's humpback whale SavedModel (signatures 'score' and 'metadata'), "
    "e.g. models/humpback_whale/1/saved_model.pb"
)


class ModelServerError(RuntimeError):
    """A request to the model server failed. `transient`: retrying may help (`io_rules.errors` reads it).

    A permanent error's message ends with `what_to_do`, so it reads on its own in the run log.
    """

    def __init__(self, message: str, transient: bool, what_to_do: str | None = None) -> None:
        super().__init__(message if transient or not what_to_do else f"{message}; {what_to_do}")
        self.transient = transient
        self.what_to_do = None if transient else what_to_do


def request_failure(spec: ServedModelSpec, signature: str, code: str, detail: str) -> ModelServerError:
    """The error for a failed Predict on `signature`, by gRPC status code name (REST maps onto these)."""
    where = f"{spec.server} model {spec.name!r}" + ("" if spec.version is None else f" version {spec.version}")
    message = f"{where}, signature {signature!r}: {code}: {detail}"
    if code in TRANSIENT_GRPC_CODES:
        return ModelServerError(message, transient=True)
    if code == "NOT_FOUND":
        what = (
            f"the server does not serve that model (version): set {NAME_ENV} (default humpback_whale) and "
            f"{VERSION_ENV} (unset = latest) to a model the server has loaded, or check {SERVER_ENV}"
        )
    elif code in ("FAILED_PRECONDITION", "INVALID_ARGUMENT"):
        what = SIGNATURES_HELP
    else:
        what = f"check {SERVER_ENV} points at a TF Serving instance and that it accepts this client"
    return ModelServerError(message, transient=False, what_to_do=what)
