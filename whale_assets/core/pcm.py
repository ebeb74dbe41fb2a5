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
    # One leading byte lets sample i be read as the int32 at bytes [3i, 3i + 4): its top three
    # bytes are the sample (so the sign comes for free), its low byte belongs to the previous
    # sample and is masked off. The value is then sample * 2**8, and one scale gives sample / 2**23.
    buf = np.empty(b.size + 1, dtype=np.uint8)
    buf[0] = 0
    buf[1:] = b
    words = np.ndarray((n,), dtype="<i4", buffer=buf, strides=(3,))
    scaled = words & np.int32(-256)
    out = scaled.view(np.float32)
    # In place over the same buffer: identical layout, so numpy needs no temporary copy.
    np.multiply(scaled, np.float32(2.0**-31), out=out, dtype=np.float32, casting="unsafe")
    return out


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
