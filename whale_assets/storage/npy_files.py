"""Single `.npy` files on any UPath: written from an array or from pieces, read remotely by ranges."""

from __future__ import annotations

import errno
import io
import struct
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from upath import UPath

from whale_assets.io_rules.errors import is_short_write
from whale_assets.storage.files import is_local, streamed_object

READ_CHUNK_BYTES = 16 * 2**20  # ranged reads of remote arrays: one chunk in flight besides the array
HEADER_PROBE_BYTES = 4096  # an .npy header is a few hundred bytes; longer ones are read in full


@dataclass(frozen=True)
class StreamedArray:
    """A 1-D array too long to hold at once: dtype and length known up front, then its pieces in order.

    Written piece by piece, so memory stays at one piece however long the window (a 24-hour
    16 kHz float32 window would otherwise be one 5.5 GB allocation).
    """

    dtype: np.dtype
    length: int
    pieces: Iterable[np.ndarray]

    @property
    def shape(self) -> tuple[int]:
        return (self.length,)

    @property
    def nbytes(self) -> int:
        return self.length * np.dtype(self.dtype).itemsize


def write_npy(path: UPath, array: np.ndarray | StreamedArray) -> None:
    """Local: a plain file. Remote: streamed as a multipart upload, a part at a time."""
    if is_local(path):
        try:
            with path.open("wb") as stream:
                _save(stream, array)
        except OSError as error:
            if not is_short_write(error):
                raise
            # Said as what it is (numpy's message has no errno and no word of space), and permanent.
            raise OSError(errno.ENOSPC, f"no space left on the device writing {path.path} (numpy: {error})") from error
        return
    with streamed_object(path) as stream:
        _save(stream, array)


def _save(stream, array: np.ndarray | StreamedArray) -> None:
    if isinstance(array, np.ndarray):
        np.save(stream, np.ascontiguousarray(array), allow_pickle=False)
        return
    dtype = np.dtype(array.dtype)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": array.shape}
    np.lib.format.write_array_header_1_0(stream, header)
    written = 0
    for piece in array.pieces:
        piece = np.ascontiguousarray(piece, dtype=dtype).reshape(-1)
        written += piece.size
        if written > array.length:
            break
        stream.write(piece.data.cast("B"))  # .data: numpy types memoryview(ndarray) only for Python >= 3.12
    if written != array.length:
        # Raised inside the write, so a remote upload is aborted and the caller removes the file.
        raise ValueError(f"{_stream_name(stream)}: pieces hold {written} values, the header promised {array.length}")


def _stream_name(stream) -> str:
    return str(getattr(stream, "name", None) or getattr(stream, "path", "stream"))


def read_remote_npy(path: UPath, chunk_bytes: int = READ_CHUNK_BYTES) -> np.ndarray:
    """An `.npy` object read with byte-range requests straight into one preallocated array.

    Peak memory is the array plus one chunk, however large the array (a 1-hour 16 kHz float32
    window is 230 MB); `np.load` on a remote stream would hold the whole body again as bytes.
    """
    fs, key = path.fs, path.path
    probe = fs.cat_file(key, start=0, end=HEADER_PROBE_BYTES)
    header_end = _npy_header_end(probe, str(path))
    if header_end > len(probe):
        probe = fs.cat_file(key, start=0, end=header_end)
    stream = io.BytesIO(probe[:header_end])
    major, _ = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    shape, fortran_order, dtype = read_header(stream, max_header_size=header_end + 1)
    if dtype.hasobject:
        raise ValueError(f"{path} holds Python objects; only plain arrays are stored")
    array = np.empty(shape[::-1] if fortran_order else shape, dtype=dtype)
    flat = array.reshape(-1).view(np.uint8)  # the array's own bytes, written in place
    for start in range(0, flat.size, chunk_bytes):
        stop = min(start + chunk_bytes, flat.size)
        data = fs.cat_file(key, start=header_end + start, end=header_end + stop)
        if len(data) != stop - start:
            raise ValueError(f"{path} is truncated: expected {flat.size} data bytes after its header")
        flat[start:stop] = np.frombuffer(data, np.uint8)
        del data
    return array.T if fortran_order else array


def read_npy_range(path: UPath, start: int, stop: int) -> np.ndarray:
    """Elements [start, stop) of a 1-D `.npy` file, read by offset: no mapping of the rest.

    A memory map would keep every page it touched resident until unmapped, so reading a long
    window piece by piece through one map ends up holding the whole window after all.
    """
    fs, key = (None, path.path) if is_local(path) else (path.fs, path.path)
    probe = _read_bytes(fs, key, 0, HEADER_PROBE_BYTES)
    header_end = _npy_header_end(probe, str(path))
    if header_end > len(probe):
        probe = _read_bytes(fs, key, 0, header_end)
    stream = io.BytesIO(probe[:header_end])
    major, _ = np.lib.format.read_magic(stream)
    read_header = np.lib.format.read_array_header_1_0 if major == 1 else np.lib.format.read_array_header_2_0
    shape, _, dtype = read_header(stream, max_header_size=header_end + 1)
    if dtype.hasobject or len(shape) != 1:
        raise ValueError(f"{path} is not a 1-D array of plain values (shape {shape}, dtype {dtype})")
    start, stop = max(0, start), min(int(shape[0]), stop)
    if stop <= start:
        return np.empty(0, dtype)
    begin = header_end + start * dtype.itemsize
    if fs is None:
        values = np.fromfile(key, dtype=dtype, count=stop - start, offset=begin)
    else:
        values = np.frombuffer(_read_bytes(fs, key, begin, begin + (stop - start) * dtype.itemsize), dtype).copy()
    if values.size != stop - start:
        raise ValueError(f"{path} is truncated: its header promises {shape[0]} values")
    return values


def _read_bytes(fs, key: str, start: int, stop: int) -> bytes:
    if fs is not None:
        return fs.cat_file(key, start=start, end=stop)
    with open(key, "rb") as file:
        file.seek(start)
        return file.read(stop - start)


def _npy_header_end(probe: bytes, name: str) -> int:
    if probe[:6] != b"\x93NUMPY" or len(probe) < 10:
        raise ValueError(f"{name} is not an .npy file")
    if probe[6] == 1:
        return 10 + struct.unpack("<H", probe[8:10])[0]
    if len(probe) < 12:
        raise ValueError(f"{name} is not an .npy file")
    return 12 + struct.unpack("<I", probe[8:12])[0]
