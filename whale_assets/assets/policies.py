"""How assets share the machine and recover: concurrency pools and retries of transient failures."""

from __future__ import annotations

import functools
import inspect
from contextlib import ContextDecorator
from types import TracebackType
from typing import Literal

from dagster import Backoff, DagsterExecutionInterruptedError, Failure, Jitter, RetryPolicy

from whale_assets.io_rules.errors import is_transient

# DuckDB allows one writer process: table assets queue on this pool (limit set in dagster.yaml).
DUCKDB_WRITERS = "duckdb_writers"
# Model scoring holds the model and its batches in memory: a limit keeps backfills within RAM.
MODEL_SCORING = "model_scoring"

# Dagster waits (2**n - 1) * delay, +-delay of jitter, before retry n: 0-40 s, 40-80 s, 120-160 s.
TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=20, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


def permanent_failure(error: Exception, what_to_do: str) -> Failure:
    """A failure that retrying cannot fix: skip the retry policy and say what to do."""
    return Failure(description=f"{error} — {what_to_do}", allow_retries=False)


class failures_classified(ContextDecorator):  # noqa: N801 - used like contextlib's lower-case helpers
    """Let only transient errors (`io_rules.errors.is_transient`) reach the retry policy.

    Anything else leaves as `permanent_failure(error, what_to_do)`, failing the step at once (an
    error with its own `what_to_do` attribute keeps its message, which ends with it);
    an interrupt (the run terminated) fails it too, instead of becoming a retry.
    A `with` block, or a decorator (generator functions included) under `@asset`.
    """

    def __init__(self, what_to_do: str) -> None:
        self.what_to_do = what_to_do

    def __enter__(self) -> failures_classified:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> Literal[False]:
        if isinstance(error, (DagsterExecutionInterruptedError, KeyboardInterrupt)):
            # Dagster turns an interrupt inside a step with a retry policy into a retry, so a
            # terminated run (SIGTERM) would wait out the backoff and start the step again.
            raise Failure(
                description="interrupted (the run was terminated): not retried", allow_retries=False
            ) from error
        if not isinstance(error, Exception) or isinstance(error, Failure) or is_transient(error):
            return False
        if getattr(error, "what_to_do", None):  # e.g. a model server error: its message already says what to do
            raise Failure(description=str(error), allow_retries=False) from error
        described = error if str(error) else RuntimeError(type(error).__name__)  # MemoryError() says nothing
        if location := _s3_location(error):  # the storage refused, not the step's own source
            where = "" if location in str(described) else f"S3 refused {location}: "
            raise permanent_failure(described, f"{where}{S3_WHAT_TO_DO}") from error
        raise permanent_failure(described, self.what_to_do) from error

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):

            @functools.wraps(function)
            def generator(*args, **kwargs):
                with self:
                    yield from function(*args, **kwargs)

            return generator
        return super().__call__(function)


STORAGE_WHAT_TO_DO = "check the data directory (WHALE_DATA_DIR) or bucket (WHALE_S3_BUCKET); not retried"
S3_WHAT_TO_DO = (
    "check that this bucket exists and that the run's AWS credentials (role, AWS_PROFILE) may use it; not retried"
)


def _s3_location(error: BaseException | None) -> str | None:
    """The `s3://bucket/key` an S3 request error came from (`io_rules.network.bounded_s3fs`), if any."""
    while error is not None:
        if location := getattr(error, "s3_location", None):
            return location
        error = error.__cause__ or error.__context__
    return None


def model_load_failure(error: Exception) -> Failure:
    """The classifier could not be loaded: a configuration problem, not a passing one."""
    return permanent_failure(error, "set WHALE_MODEL to a reachable handle or a local SavedModel directory")


def corrupt_archive_failure(error: Exception) -> Failure:
    """A day file in the archive has a broken WAV header: it reads the same on every retry."""
    return permanent_failure(error, "replace or remove that day file in the archive")
