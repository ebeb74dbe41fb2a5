"""How assets share the machine and recover: concurrency pools and retries of transient failures."""

from dagster import Backoff, Failure, Jitter, RetryPolicy

# DuckDB allows one writer process: table assets queue on this pool (limit set in dagster.yaml).
DUCKDB_WRITERS = "duckdb_writers"
# Model scoring holds the model and its batches in memory: a limit keeps backfills within RAM.
MODEL_SCORING = "model_scoring"

TRANSIENT_RETRY = RetryPolicy(max_retries=3, delay=20, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


def permanent_failure(error: Exception, what_to_do: str) -> Failure:
    """A failure that retrying cannot fix: skip the retry policy and say what to do."""
    return Failure(description=f"{error} — {what_to_do}", allow_retries=False)


def model_load_failure(error: Exception) -> Failure:
    """The classifier could not be loaded: a configuration problem, not a passing one."""
    return permanent_failure(error, "set WHALE_MODEL to a reachable handle or a local SavedModel directory")


def corrupt_archive_failure(error: Exception) -> Failure:
    """A day file in the archive has a broken WAV header: it reads the same on every retry."""
    return permanent_failure(error, "replace or remove that day file in the archive")
