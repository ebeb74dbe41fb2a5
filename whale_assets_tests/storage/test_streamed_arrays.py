"""Issue 14, finding 6: a long window is written piece by piece, never held whole; plus S3 clean-up."""

import numpy as np
import pytest
from upath import UPath

from whale_assets.core.windows import WindowRecord
from whale_assets.storage.npy_files import StreamedArray
from whale_assets.storage.window_arrays import WindowArray, WindowArrays, read_partition, write_partition
from whale_assets_tests.support.s3_server import moto_server, object_keys, use_endpoint

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def quiet_pieces(n_pieces: int, size: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [(-0.0034 + 8e-5 * rng.normal(0, 1, size)).astype(np.float32) for _ in range(n_pieces)]


def streamed(pieces: list[np.ndarray], length: int | None = None, consumed: list[int] | None = None) -> StreamedArray:
    def produce():
        for piece in pieces:
            if consumed is not None:
                consumed.append(piece.size)
            yield piece

    total = sum(piece.size for piece in pieces) if length is None else length
    return StreamedArray(np.dtype(np.float32), total, produce())


def test_a_streamed_window_is_written_piece_by_piece_and_reads_back_whole(tmp_path):
    pieces, consumed = quiet_pieces(4, 1000), []
    stored = write_partition(
        UPath(tmp_path),
        WindowArrays([WindowArray(WindowRecord("w", n_samples=4000), streamed(pieces, consumed=consumed))]),
    )
    assert consumed == [1000] * 4
    assert stored.record("w").array.shape == (4000,) and stored.record("w").array.nbytes == 16_000
    np.testing.assert_array_equal(read_partition(UPath(tmp_path)).load("w"), np.concatenate(pieces))


def test_pieces_that_do_not_add_up_fail_the_write_and_leave_the_previous_version(tmp_path):
    directory = UPath(tmp_path)
    write_partition(directory, WindowArrays([WindowArray(WindowRecord("w", n_samples=3), np.ones(3, np.float32))]))
    short = streamed(quiet_pieces(2, 1000), length=3000)
    with pytest.raises(ValueError, match="promised 3000"):
        write_partition(directory, WindowArrays([WindowArray(WindowRecord("w", n_samples=3000), short)]))
    np.testing.assert_array_equal(read_partition(directory).load("w"), np.ones(3, np.float32))
    assert len(list(tmp_path.glob("*.npy"))) == 1


def test_on_s3_a_streamed_window_round_trips_and_a_failed_one_leaves_no_object_or_upload(monkeypatch):
    import boto3

    with moto_server() as endpoint:
        bucket = use_endpoint(monkeypatch, endpoint)
        directory = UPath(f"s3://{bucket}/raw_audio/2023-09-14")
        pieces = quiet_pieces(3, 2_000_000)  # 24 MB: more than one 16 MiB multipart part
        write_partition(
            directory, WindowArrays([WindowArray(WindowRecord("w", n_samples=6_000_000), streamed(pieces))])
        )
        np.testing.assert_array_equal(read_partition(directory).load("w"), np.concatenate(pieces))
        before = object_keys(bucket)

        def failing():
            yield pieces[0]
            yield pieces[1]
            raise OSError("archive connection reset")

        broken = StreamedArray(np.dtype(np.float32), 6_000_000, failing())
        with pytest.raises(OSError, match="reset"):
            write_partition(directory, WindowArrays([WindowArray(WindowRecord("w", n_samples=6_000_000), broken)]))
        assert object_keys(bucket) == before
        assert boto3.client("s3").list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
