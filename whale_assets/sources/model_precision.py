"""The arithmetic precision the humpback model is run in: float32 (as stored), bfloat16, int8, or auto.

`auto` is not a precision of its own: `resolve_precision` turns it into bfloat16 on a CPU with
bfloat16 arithmetic (`avx512_bf16` or `amx_bf16`) and float32 elsewhere, on the machine that loads
the model, and only the resolved precision reaches labels and fingerprints (so `auto` on a CPU
without bfloat16 keeps the bare handle of float32 partitions).

bfloat16 is TensorFlow's oneDNN auto-mixed-precision graph rewrite: convolutions and matmuls
(and the element-wise ops between them) run in bfloat16 with float32 accumulation; the stored
float32 weights are cast when the graph is built. The rewrite is a process-global optimizer
option that TensorFlow reads when a function is called (and caches one optimized graph per
setting), so `precision_scope` switches it on only for the duration of a bfloat16 model's call,
under a process-wide lock: float32 and bfloat16 models in one process each score in their own
precision, one call at a time (each call uses every core anyway). Any other TensorFlow code
running on another thread during a bfloat16 call would be rewritten too; this package has none.

Two kinds of CPU: with `avx512_bf16` (or AMX) oneDNN runs bfloat16 convolutions natively, and the
real-size model scores ~1.5x faster than in float32 (AMD EPYC with avx512_bf16, README's "Model
precision"); without them oneDNN emulates bfloat16 with float32 instructions plus conversions,
which gives the same bfloat16 scores ~3x more slowly (AVX-512 VNNI only). An explicit bfloat16
still runs in bfloat16 there, so a stored partition means the same on every machine, and the
load logs a warning suggesting `auto` or float32. A TensorFlow build without the rewrite (it needs oneDNN, i.e.
x86-64) fails the load instead of silently scoring in float32.

int8 is not a TensorFlow mode: the model is converted once to a calibrated int8 LiteRT model and
run by LiteRT (`int8_model`); `auto` never picks it, because its scores move more than bfloat16's
(see the model precision guide for what was measured).
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
INT8 = "int8"
AUTO = "auto"
PRECISIONS = (FLOAT32, BFLOAT16, INT8)
"""What a model really runs in (and what labels name)."""
PRECISION_SETTINGS = (*PRECISIONS, AUTO)
"""What WHALE_MODEL_PRECISION and `load_humpback_model` accept."""
DEFAULT_PRECISION = FLOAT32
"""Not `auto`: hosts of one machine kind differ in CPU, and a label that follows the host would
make partitions stored by one host look stale to another (see the README's Model precision)."""
PRECISION_ENV_VAR = "WHALE_MODEL_PRECISION"
NATIVE_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16")
INT8_DOT_PRODUCT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
"""CPU flags with int8 dot-product instructions (VNNI); without them int8 runs on slower AVX2 kernels."""
INT8_RECIPE = "cal3"
"""Names the int8 conversion recipe (calibration audio and amount, the ops kept float32) in labels
and fingerprints: bump it whenever any of them changes, so stored int8 partitions are recomputed."""
_REWRITE_OPTION = "auto_mixed_precision_onednn_bfloat16"

log = logging.getLogger(__name__)
_lock = threading.Lock()
_bfloat16_in_use = False


class PrecisionUnavailable(RuntimeError):
    """This TensorFlow cannot run the model in the requested precision."""


def check_precision(precision: str) -> str:
    """`precision` if it is one of `PRECISION_SETTINGS`, else ValueError naming the valid ones."""
    if precision not in PRECISION_SETTINGS:
        raise ValueError(f"precision {precision!r} is not valid; use one of: {', '.join(PRECISION_SETTINGS)}")
    return precision


def resolve_precision(precision: str, cpu_flags: tuple[str, ...] | None = None) -> str:
    """The precision a model runs in: `auto` becomes bfloat16 where the CPU has one of
    `NATIVE_BFLOAT16_FLAGS` (`cpu_flags`, read from /proc/cpuinfo unless given), else float32."""
    if check_precision(precision) != AUTO:
        return precision
    flags = native_bfloat16_flags() if cpu_flags is None else cpu_flags
    return BFLOAT16 if any(flag in NATIVE_BFLOAT16_FLAGS for flag in flags) else FLOAT32


def precision_label(model: str, precision: str) -> str:
    """How tables and fingerprints name `model` run in `precision`: float32 keeps the bare handle
    (what every partition stored before this setting was fingerprinted with), others add theirs;
    `auto` is resolved on this machine first."""
    resolved = resolve_precision(precision)
    if resolved == INT8:
        return f"{model} [{INT8} {INT8_RECIPE}]"
    return model if resolved == FLOAT32 else f"{model} [{resolved}]"


def native_bfloat16_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, ...]:
    """The CPU flags giving bfloat16 arithmetic in hardware (empty: emulated, or not Linux)."""
    return _cpu_flags_among(NATIVE_BFLOAT16_FLAGS, cpuinfo)


def int8_dot_product_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> tuple[str, ...]:
    """The CPU flags giving int8 dot products in hardware (VNNI; empty: none, or not Linux)."""
    return _cpu_flags_among(INT8_DOT_PRODUCT_FLAGS, cpuinfo)


def _cpu_flags_among(wanted: tuple[str, ...], cpuinfo: Path) -> tuple[str, ...]:
    try:
        words = set(cpuinfo.read_text().split())
    except OSError:
        return ()
    return tuple(flag for flag in wanted if flag in words)


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
    precision = resolve_precision(precision)
    if precision == INT8:
        if not int8_dot_product_flags():
            log.warning(
                "%s=%s: this CPU has none of %s, so LiteRT's int8 kernels run without VNNI and "
                "the speed measured in the model precision guide does not apply here",
                PRECISION_ENV_VAR,
                INT8,
                "/".join(INT8_DOT_PRODUCT_FLAGS),
            )
        return
    if precision == FLOAT32:
        return
    if not _rewrite_takes_effect():
        raise PrecisionUnavailable(
            "this TensorFlow build does not apply the oneDNN bfloat16 rewrite (it needs an x86-64 build "
            f"with oneDNN, TF_ENABLE_ONEDNN_OPTS not 0); use {PRECISION_ENV_VAR}={FLOAT32}"
        )
    _bfloat16_in_use = True
    flags = native_bfloat16_flags()
    if flags:
        log.info("%s: bfloat16 runs natively on this CPU (%s)", PRECISION_ENV_VAR, " ".join(flags))
    else:
        log.warning(
            "%s=%s: this CPU has none of %s, so oneDNN emulates bfloat16 with float32 instructions: the "
            "scores are bfloat16 ones, but scoring is ~3x slower than %s here (on a CPU with avx512_bf16 it "
            "is ~1.5x faster); use %s=%s or %s on this machine",
            PRECISION_ENV_VAR,
            BFLOAT16,
            "/".join(NATIVE_BFLOAT16_FLAGS),
            FLOAT32,
            PRECISION_ENV_VAR,
            AUTO,
            FLOAT32,
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
