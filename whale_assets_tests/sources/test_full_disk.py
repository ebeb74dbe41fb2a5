"""A full disk is permanent whatever the error looks like (issue 23, finding 12).

numpy's short write carries no errno ("3840000 requested and 3720160 written"), so it was
classed transient and retried for ~4 minutes. /dev/full gives the real error without mounting.
"""

from __future__ import annotations

import errno
import os

import numpy as np
import pytest
from dagster import Failure

from whale_assets.assets.policies import failures_classified
from whale_assets.io_rules.errors import is_transient

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux) for a real full-disk write"),
]


def numpy_short_write() -> OSError:
    with open("/dev/full", "wb") as full, pytest.raises(OSError) as raised:
        np.zeros(960_000, np.float32).tofile(full)  # what np.save does for a real file
    return raised.value


def test_numpys_short_write_on_a_full_disk_is_permanent():
    error = numpy_short_write()
    assert error.errno is None and "requested and" in str(error)  # the real thing, no errno
    assert not is_transient(error)


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_every_disk_space_errno_is_permanent(code):
    assert not is_transient(OSError(code, os.strerror(code)))


def test_a_short_write_fails_the_step_at_once_without_a_retry():
    with pytest.raises(Failure) as failed, failures_classified("free space in WHALE_DATA_DIR"):
        raise numpy_short_write()
    assert failed.value.allow_retries is False and "free space" in failed.value.description


def test_a_stored_window_on_a_full_disk_says_no_space_and_names_the_file(tmp_path):
    from upath import UPath

    from whale_assets.storage.npy_files import StreamedArray, write_npy

    pieces = (np.full(480_000, -0.0034, np.float32) for _ in range(2))
    with pytest.raises(OSError) as raised:
        write_npy(UPath("/dev/full"), StreamedArray(np.dtype(np.float32), 960_000, pieces))
    assert raised.value.errno == errno.ENOSPC and not is_transient(raised.value)
