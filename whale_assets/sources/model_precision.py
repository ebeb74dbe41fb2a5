"""The arithmetic precision the humpback model is run in: float32 (as stored) or bfloat16.

bfloat16 is TensorFlow's oneDNN auto-mixed-precision graph rewrite: convolutions and matmuls
(and the element-wise ops between them) run in bfloat16 with float32 accumulation; the stored
float32 weights are cast when the graph is built. The rewrite is a process-global optimizer
option that TensorFlow reads when a function is called (and caches one optimized graph per
setting), so `precision_scope` switches it on only for the duration of a bfloat16 model's call,
under a process-wide lock: float32 and bfloat16 models in one process each score in their own
precision, one call at a time (each call uses every core anyway). Any other TensorFlow code
running on another thread during a bfloat16 call would be rewritten too; this package has none.

CPUs without `avx512_bf16` or `amx_bf16` have no bfloat16 arithmetic: oneDNN then emulates it
with float32 instructions plus conversions, which gives the same bfloat16 scores several times
more slowly (~3.5x on this project's AVX-512 VNNI machine, see the README's Performance section).
The model still runs in bfloat16 there, so a stored partition means the same on every machine,
and the load logs a warning. A TensorFlow build without the rewrite (it needs oneDNN, i.e.
x86-64) fails the load instead of silently scoring in float32.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

FLOAT32 = "float32"
BFLOAT16 = "bfloat16"
PRECISIONS = (FLOAT32, BFLOAT16)
DEFAULT_PRECISION = FLOAT32
PRECISION_ENV_VAR = "WHALE_MODEL_PRECISION"
NATIVE_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
_REWRITE_OPTION = "auto_mixed_precision_onednn_bfloat16"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_bfloat16_in_use = False


class PrecisionUnavailable(RuntimeError):
    """This TensorFlow cannot run the model in the requested precision."""


def check_precision(precision: str) -> str:
    """`precision` if it is one of `PRECISIONS`, else ValueError naming the valid ones."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision {precision!r} is not valid; use one of: {', '.join(PRECISIONS)}")
    return precision


def precision_label(model: str, precision: str) -> str:
    """How tables and fingerprints name `model` run in `precision`: float32 keeps the bare handle
    (what every partition stored before this setting was fingerprinted with), others add theirs."""
    return model if check_precision(precision) == FLOAT32 else f"{model} [{precision}]"


def native_bfloat16_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, ...]:
    """The CPU flags giving bfloat16 arithmetic in hardware (empty: emulated, or not Linux)."""
    try:
        words = set(cpuinfo.read_text().split())
    except OSError:
        return ()
    return tuple(flag for flag in NATIVE_BFLOAT16_FLAGS if flag in words)


@contextmanager
def precision_scope(precision: str) -> Iterator[None]:
    """Run the TensorFlow calls inside in `precision` (see the module docstring)."""
    if precision == FLOAT32 and not _bfloat16_in_use:
        yield  # no bfloat16 model in this process: the global option is never touched
        return
    import tensorflow as tf

    with _lock:
        tf.config.optimizer.set_experimental_options({_REWRITE_OPTION: precision == BFLOAT16})
        try:
            yield
        finally:
            tf.config.optimizer.set_experimental_options({_REWRITE_OPTION: False})


def prepare_precision(precision: str) -> None:
    """Check that `precision` can run here before a model is used in it; warn when it is emulated."""
    global _bfloat16_in_use
    if check_precision(precision) == FLOAT32:
        return
    if not _rewrite_takes_effect():
        raise PrecisionUnavailable(
            "this TensorFlow build does not apply the oneDNN bfloat16 rewrite (it needs an x86-64 build "
            f"with oneDNN, TF_ENABLE_ONEDNN_OPTS not 0); use {PRECISION_ENV_VAR}={FLOAT32}"
        )
    _bfloat16_in_use = True
    if not native_bfloat16_flags():
        log.warning(
            "%s=%s: this CPU has none of %s, so oneDNN emulates bfloat16 with float32 instructions: the "
            "scores are bfloat16 ones, but scoring is several times slower than %s",
            PRECISION_ENV_VAR, BFLOAT16, "/".join(NATIVE_BFLOAT16_FLAGS), FLOAT32,
        )


@cache
def _rewrite_takes_effect() -> bool:
    """Whether the rewrite really changes arithmetic: 1 + 2**-10 survives float32, not bfloat16."""
    import tensorflow as tf

    @tf.function
    def probe(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
        # Several nodes: grappler leaves graphs under its min_graph_nodes alone.
        return tf.nn.relu(tf.matmul(a, b) + 0.0) * 1.0

    a = tf.constant([[1.0 + 2.0**-10]], tf.float32)
    b = tf.constant([[1.0]], tf.float32)
    with _lock:
        tf.config.optimizer.set_experimental_options({_REWRITE_OPTION: True})
        try:
            value = float(probe(a, b).numpy()[0, 0])
        finally:
            tf.config.optimizer.set_experimental_options({_REWRITE_OPTION: False})
    return value == 1.0
