"""Little-endian integer PCM <-> float32, vectorised.

Full scale is 2**(bits - 1): a 24-bit sample s decodes to s / 2**23, in [-1, 1).
"""

from __future__ import annotations

import numpy as np

PCM24_SCALE = 2**23

Raw = bytes | bytearray | memoryview | np.ndarray


def _as_bytes_array(raw: Raw) -> np.ndarray:
    """Zero-copy uint8 view of `raw`."""
    if isinstance(raw, np.ndarray):
        return raw.reshape(-1).view(np.uint8)
    return np.frombuffer(raw, dtype=np.uint8)


def pcm24_to_float32(raw: Raw) -> np.ndarray:
    """Decode little-endian signed 24-bit PCM to float32 in [-1, 1) (exact: 24 bits fit the mantissa)."""
    b = _as_bytes_array(raw)
    if b.size % 3:
        raise ValueError(f"24-bit PCM needs a multiple of 3 bytes, got {b.size}")
    n = b.size // 3
    if n == 0:
        return np.zeros(0, dtype=np.float32)
    # Read sample i (i >= 1) as the int32 at bytes [3i - 1, 3i + 3): its top three bytes are the
    # sample, so the sign comes for free, and its low byte (the previous sample's) is masked off.
    # The value is then sample * 2**8. Unaligned strided reads of the input: no copy of it.
    out = np.empty(n, dtype=np.int32)
    out[1:] = np.ndarray((n - 1,), dtype="<i4", buffer=b, offset=2, strides=(3,))
    out[0] = int.from_bytes(b[:3].tobytes(), "little", signed=True) << 8
    out &= np.int32(-256)
    # Scale to float32 in place over the same buffer (identical layout: numpy needs no temporary).
    scaled = out.view(np.float32)
    np.multiply(out, np.float32(2.0**-31), out=scaled, dtype=np.float32, casting="unsafe")
    return scaled


def float32_to_pcm24(x: np.ndarray) -> bytes:
    """Encode floats (full scale 1.0) as little-endian signed 24-bit PCM, rounding half to even and clipping."""
    a = np.asarray(x)
    a = a.reshape(-1) if a.dtype == np.float64 else a.astype(np.float32).reshape(-1)
    scaled = a * a.dtype.type(PCM24_SCALE)  # a power of two: exact
    if np.isnan(scaled).any():
        raise ValueError("cannot encode NaN samples as PCM")
    np.rint(scaled, out=scaled)
    np.clip(scaled, -PCM24_SCALE, PCM24_SCALE - 1, out=scaled)
    return scaled.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def decode_pcm(raw: Raw, bits_per_sample: int) -> np.ndarray:
    """Decode little-endian signed 16-, 24- or 32-bit PCM to float32 in [-1, 1) (interleaved as stored)."""
    if bits_per_sample == 24:
        return pcm24_to_float32(raw)
    if bits_per_sample not in (16, 32):
        raise ValueError(f"unsupported PCM bit depth {bits_per_sample}; 16, 24 and 32 are supported")
    b = _as_bytes_array(raw)
    width = bits_per_sample // 8
    if b.size % width:
        raise ValueError(f"{bits_per_sample}-bit PCM needs a multiple of {width} bytes, got {b.size}")
    ints = b.view(f"<i{width}")
    out = ints.astype(np.float32)
    out *= np.float32(2.0 ** -(bits_per_sample - 1))
    return out
