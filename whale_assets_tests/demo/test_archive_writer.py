"""Stand-in day files have the archive's exact header and can be streamed from a long scene."""

from __future__ import annotations

import datetime as dt
import struct

import numpy as np
import pandas as pd

from whale_assets.core.audio.pcm import pcm24_to_float32
from whale_assets.core.audio.wav_header import parse_wav_header
from whale_assets.core.synthesis.mars_scene import MarsScene, SongSession, render, render_pieces
from whale_assets.demo.archive_writer import (
    archive_path,
    stream_segment,
    write_day_file,
)
from whale_assets.sources.audio_archive import AudioArchive

DAY = dt.date(2016, 12, 21)


def chunks(raw: bytes) -> dict[bytes, tuple[int, bytes]]:
    """RIFF chunk id -> (offset of its header, body), walking from byte 12."""
    found, at = {}, 12
    while at + 8 <= len(raw):
        tag, size = struct.unpack_from("<4sI", raw, at)
        found[tag] = (at, raw[at + 8 : at + 8 + min(size, 1024)])
        if tag == b"data":
            break
        at += 8 + size + (size & 1)
    return found


def test_day_file_header_is_the_archive_332_byte_layout(tmp_path):
    path = archive_path(tmp_path, DAY)
    write_day_file(path, [], duration_s=60)
    raw = path.read_bytes()
    assert parse_wav_header(raw[:4096], path.name).data_offset == 332
    found = chunks(raw)
    assert list(found) == [b"fmt ", b"LIST", b"data"]
    assert struct.unpack_from("<I", raw, found[b"fmt "][0] + 4)[0] == 16
    list_at, body = found[b"LIST"]
    assert struct.unpack_from("<I", raw, list_at + 4)[0] == 280
    assert body[:4] == b"INFO"
    inam_size = struct.unpack_from("<I", body, 8)[0]
    assert body[4:8] == b"INAM" and body[12 : 12 + inam_size].rstrip(b"\0") == path.name.encode()
    assert body[12 + inam_size : 16 + inam_size] == b"ICMT"


def test_a_long_scene_streams_into_a_day_file_piece_by_piece(tmp_path):
    scene = MarsScene(180.0, seed=21, song=(SongSession(20.0, 150.0),))
    pieces = render_pieces(scene, piece_s=47.0)  # lazily rendered while the file is written
    write_day_file(archive_path(tmp_path, DAY), stream_segment(3600.0, pieces), duration_s=4000)
    start = pd.Timestamp(DAY, tz="UTC") + pd.Timedelta(seconds=3600)
    read = AudioArchive(str(tmp_path)).read(start, start + pd.Timedelta(seconds=180))
    expected = pcm24_to_float32(
        np.rint(render(scene).astype(np.float64) * 2**23).astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    )
    np.testing.assert_array_equal(read, expected)
