"""`is_transient` on the exceptions the real clients raise: retry the network, not the impossible."""

from __future__ import annotations

import errno

import aiohttp
import botocore.exceptions as boto
import pytest
import requests
from s3fs.errors import translate_boto_error

from whale_assets.core.audio.wav_header import CorruptWavHeader
from whale_assets.io_rules.errors import is_transient
from whale_assets.sources.audio_archive import UnsupportedAudioFormat
from whale_assets.sources.happywhale import HappywhaleError

pytestmark = pytest.mark.faults  # the fault-injection suite (README: Reliability)


def client_error(code: str, status: int) -> boto.ClientError:
    response = {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return boto.ClientError(response, "GetObject")


def http_error(status: int) -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    return requests.HTTPError(f"{status} for url", response=response)


def aiohttp_error(status: int) -> aiohttp.ClientResponseError:
    return aiohttp.ClientResponseError(None, (), status=status, message="answer")  # type: ignore[arg-type]


def wrapped(outer: BaseException, cause: BaseException) -> BaseException:
    outer.__cause__ = cause
    return outer


TRANSIENT = {
    "connection reset": ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    "connection refused": ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    "socket timeout": TimeoutError("timed out"),
    "unexplained I/O error": OSError(errno.EIO, "Input/output error"),
    "botocore endpoint unreachable": boto.EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
    "botocore connect timeout": boto.ConnectTimeoutError(endpoint_url="http://127.0.0.1:9"),
    "botocore read timeout": boto.ReadTimeoutError(endpoint_url="http://127.0.0.1:9"),
    "S3 SlowDown": client_error("SlowDown", 503),
    "S3 InternalError": client_error("InternalError", 500),
    "S3 ServiceUnavailable": client_error("ServiceUnavailable", 503),
    "S3 SlowDown through s3fs": translate_boto_error(client_error("SlowDown", 503)),
    "requests connection error": requests.ConnectionError("Max retries exceeded"),
    "requests read timeout": requests.ReadTimeout("read timed out"),
    "HTTP 429": http_error(429),
    "HTTP 503": http_error(503),
    "aiohttp server timeout": aiohttp.ServerTimeoutError("Timeout on reading data from socket"),
    "aiohttp disconnected": aiohttp.ServerDisconnectedError(),
    "aiohttp 502": aiohttp_error(502),
    "Happywhale said transient": HappywhaleError("503 from the API", transient=True),
    "network error under a wrapper": wrapped(RuntimeError("read failed"), ConnectionResetError()),
}

PERMANENT = {
    "directory where a day file should be": IsADirectoryError(errno.EISDIR, "Is a directory"),
    "permission denied": PermissionError(errno.EACCES, "Permission denied"),
    "read-only data dir": OSError(errno.EROFS, "Read-only file system"),
    "disk full": OSError(errno.ENOSPC, "No space left on device"),
    "missing file": FileNotFoundError(errno.ENOENT, "No such file or directory"),
    "MemoryError": MemoryError(),
    "HTTP 403": http_error(403),
    "HTTP 404": http_error(404),
    "aiohttp 403": aiohttp_error(403),
    "S3 AccessDenied": client_error("AccessDenied", 403),
    "S3 NoSuchBucket": client_error("NoSuchBucket", 404),
    "S3 NoSuchBucket through s3fs": translate_boto_error(client_error("NoSuchBucket", 404)),
    "S3 AccessDenied through s3fs": translate_boto_error(client_error("AccessDenied", 403)),
    "S3 unknown 4xx through s3fs": translate_boto_error(client_error("SomethingNew", 400)),
    "no credentials": boto.NoCredentialsError(),
    "corrupt day file": CorruptWavHeader("MARS-20230914T000000Z-16kHz.wav", "no RIFF header"),
    "16-bit day file": UnsupportedAudioFormat("MARS-20230914T000000Z-16kHz.wav", "16-bit"),
    "Happywhale said permanent": HappywhaleError("unknown species"),
    "a bug": KeyError("encounter_id"),
    "a 403 under a network-looking wrapper": wrapped(ConnectionError("request failed"), http_error(403)),
}


@pytest.mark.parametrize("error", TRANSIENT.values(), ids=TRANSIENT.keys())
def test_network_trouble_and_overload_are_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize("error", PERMANENT.values(), ids=PERMANENT.keys())
def test_what_waiting_cannot_fix_is_permanent(error):
    assert not is_transient(error)


def test_an_error_raised_while_handling_another_is_judged_by_both():
    try:
        try:
            raise PermissionError(errno.EACCES, "Permission denied")
        except PermissionError:
            raise RuntimeError("cleanup failed") from None
    except RuntimeError as suppressed:
        assert not is_transient(suppressed)  # no cause, nothing known: permanent


def test_a_duckdb_lock_is_transient_and_other_duckdb_io_errors_are_not(tmp_path):
    import duckdb

    (tmp_path / "whale.duckdb").mkdir()
    with pytest.raises(duckdb.IOException) as directory:
        duckdb.connect(str(tmp_path / "whale.duckdb"))
    assert not is_transient(directory.value)
    lock = duckdb.IOException('IO Error: Could not set lock on file "whale.duckdb": Conflicting lock is held')
    assert is_transient(lock)
    assert not is_transient(duckdb.ConversionException("Could not convert string 'x' to TIMESTAMP"))
