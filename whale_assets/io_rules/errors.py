"""Which failures retrying can fix: one pure rule for every source and store.

Transient: the network (connection refused or reset, timeouts), HTTP 408/425/429 and 5xx, S3's
SlowDown / InternalError / ServiceUnavailable / throttling. Permanent: other HTTP 4xx (403, 404,
NoSuchBucket, AccessDenied), missing credentials, a directory or a missing file where a file
should be, permission denied, a read-only or full file system (ENOSPC, EDQUOT, EFBIG, numpy's errno-less short write), MemoryError, a corrupt or
unsupported day file, and anything else that is not an I/O error (a bug does not go away with
waiting). I/O errors with no telling errno stay transient, as before.

Wrapped errors are judged by their cause chain (s3fs raises `OSError` from botocore's
`ClientError`), the most specific link first: an explicit `transient` attribute, an HTTP status
or S3 error code, then the exception type.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Iterator

from whale_assets.core.audio.wav_header import CorruptWavHeader

TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
TRANSIENT_S3_CODES = frozenset(
    {
        "SlowDown",
        "InternalError",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "PriorRequestNotComplete",
        "OperationAborted",
        "503",
        "500",
    }
)
PERMANENT_ERRNOS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.ENOENT,
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EFBIG,
        errno.ENAMETOOLONG,
        errno.EINVAL,
        errno.ELOOP,
    }
)
# numpy's own short write (`ndarray.tofile`, `np.save` to a file) raises a bare OSError with no
# errno: "3840000 requested and 3720160 written". Only a full disk (or a file-size limit) does that.
SHORT_WRITE = re.compile(r"^\d+ requested and \d+ written$")
_PERMANENT_OS_TYPES = (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError, FileExistsError)


def is_transient(error: BaseException) -> bool:
    """Whether retrying after a pause may succeed where `error` failed."""
    chain = list(_cause_chain(error))
    for link in chain:
        verdict = _explicit_verdict(link)
        if verdict is not None:
            return verdict
    for link in chain:
        verdict = _type_verdict(link)
        if verdict is not None:
            return verdict
    return False


def is_duckdb_lock(error: BaseException) -> bool:
    """A DuckDB error saying another process holds the database file's lock."""
    message = str(error)
    return _is_instance(error, "duckdb", "IOException") and (
        "Could not set lock" in message or "Conflicting lock" in message
    )


def _cause_chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)


def _explicit_verdict(error: BaseException) -> bool | None:
    """An answer the error states itself: a `transient` flag, an HTTP status, an S3 error code."""
    flag = getattr(error, "transient", None)
    if isinstance(flag, bool):
        return flag
    if _is_instance(error, "duckdb", "Error"):
        return is_duckdb_lock(error)  # another process holds the file for a while; the rest stays
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:  # botocore ClientError
        code = str(response["Error"].get("Code", ""))
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return code in TRANSIENT_S3_CODES or status in TRANSIENT_STATUS
    status = getattr(response, "status_code", None)  # requests.HTTPError
    if status is None and _is_instance(error, "aiohttp", "ClientResponseError"):
        status = getattr(error, "status", None)
    if isinstance(status, int):
        return status in TRANSIENT_STATUS
    return None


def _type_verdict(error: BaseException) -> bool | None:
    if isinstance(error, (CorruptWavHeader, MemoryError)):
        return False
    if _is_instance(error, "botocore.exceptions", "NoCredentialsError", "PartialCredentialsError"):
        return False
    if (
        isinstance(error, (TimeoutError, ConnectionError))
        or _is_instance(
            error,
            "botocore.exceptions",
            "ConnectionError",
            "HTTPClientError",
        )
        or _is_instance(error, "aiohttp", "ClientConnectionError", "ClientPayloadError")
        or _is_instance(error, "requests", "ConnectionError", "Timeout", "ChunkedEncodingError")
    ):
        return True
    if isinstance(error, _PERMANENT_OS_TYPES):
        return False
    if isinstance(error, OSError):
        if error.errno in PERMANENT_ERRNOS or is_short_write(error):
            return False
        return None if error.__cause__ is not None else True  # an s3fs wrapper: let the cause decide
    return None


def is_short_write(error: BaseException) -> bool:
    """numpy's errno-less "N requested and M written": the disk (or its quota) is full."""
    return isinstance(error, OSError) and error.errno is None and bool(SHORT_WRITE.match(str(error)))


def _is_instance(error: BaseException, module: str, *names: str) -> bool:
    """isinstance against a library's exception classes, without importing a library not yet in use."""
    loaded = sys.modules.get(module)
    classes = tuple(getattr(loaded, name) for name in names if loaded is not None and hasattr(loaded, name))
    return bool(classes) and isinstance(error, classes)
