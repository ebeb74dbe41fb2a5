"""The live Happywhale search, through the `happywhale` package (0.0.3).

The package reports most failures by printing or logging and carrying on, and it exits the
interpreter on an unknown species. This wrapper turns each of those into either a
`HappywhaleError` or an entry in `row_errors`, so no encounter is lost without a trace.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import io
import json
import logging
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pandas as pd

from whale_assets.core.encounters.geo import circle_polygon
from whale_assets.core.encounters.local_time import local_dates_to_search
from whale_assets.core.encounters.table import read_export_csv
from whale_assets.core.hydrophone import MARS_LATITUDE, MARS_LONGITUDE
from whale_assets.io_rules.network import NetworkTimeouts, network_timeouts_from_env

SPECIES = "humpback_whale"
_log = logging.getLogger(__name__)


class HappywhaleError(RuntimeError):
    """A Happywhale search that produced no result; `transient` says whether retrying may help."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True)
class HappywhaleSearch:
    table: pd.DataFrame  # export format: every column text, as `read_export_csv` gives
    row_errors: list[str]  # encounters the package found but failed to export


def search_happywhale(
    day: dt.date,
    radius_km: float,
    center: tuple[float, float] = (MARS_LATITUDE, MARS_LONGITUDE),
    workdir: Path | None = None,
) -> HappywhaleSearch:
    """Humpback encounters Happywhale has in the bounding box of the circle, for UTC `day`.

    Searches the local dates of `local_dates_to_search(day)`; the caller still filters by
    true distance and UTC day (`select_encounters`). Scratch files go to a temporary
    directory (under `workdir` if given) that is removed afterwards.
    """
    timeouts = network_timeouts_from_env()
    with default_request_timeout(timeouts):
        hw = _import_happywhale()
    start, end = local_dates_to_search(day)
    with tempfile.TemporaryDirectory(prefix="happywhale-", dir=workdir) as tmp:
        geometry_file = Path(tmp) / "search_area.geojson"
        geometry_file.write_text(json.dumps(_search_area(center, radius_km)), encoding="utf-8")
        export = Path(tmp) / f"encounters-{day:%Y-%m-%d}.csv"
        with default_request_timeout(timeouts):
            lines = _run_search(hw, geometry_file, start, end, export)
        if not export.exists():
            raise _search_failed(lines, start, end)
        table = read_export_csv(export)
    return HappywhaleSearch(table=table, row_errors=_row_errors(lines))


_timeout_lock = threading.Lock()


@contextlib.contextmanager
def default_request_timeout(timeouts: NetworkTimeouts) -> Iterator[None]:
    """Within the block, `requests` calls that give no timeout get (connect_s, read_s).

    The package calls `requests.get`/`post` without a timeout, so a server that accepts and
    never answers would hold the search (and the run) forever; it offers no way to pass one.
    `Session.request` is what those calls end in, so it is wrapped here, only for the block's
    duration (one search at a time holds the patch; other callers of `requests` meanwhile
    also get the default, which only bounds requests that had no bound).
    """
    import requests

    with _timeout_lock:
        original = requests.Session.request

        def request(self, method, url, **kwargs):
            if kwargs.get("timeout") is None:
                kwargs["timeout"] = (timeouts.connect_s, timeouts.read_s)
            return original(self, method, url, **kwargs)

        # [assignment]: the wrapper takes everything after `url` by keyword, as happywhale passes it.
        requests.Session.request = request  # type: ignore[method-assign, assignment]
        try:
            yield
        finally:
            requests.Session.request = original  # type: ignore[method-assign]


def _import_happywhale() -> ModuleType:
    """Import the package, undoing the global logging/sys.path changes its import makes."""
    import requests  # happywhale's own dependency; only needed when searching

    root = logging.getLogger()
    handlers, level, path = list(root.handlers), root.level, list(sys.path)
    banner = io.StringIO()
    try:
        with contextlib.redirect_stdout(banner):  # its "newer version available" notice
            return importlib.import_module("happywhale.happywhale")
    except ImportError as exc:
        raise HappywhaleError(
            f"cannot import the happywhale package ({exc}); install the project's dependencies"
        ) from exc
    except requests.RequestException as exc:
        raise HappywhaleError(
            "importing happywhale failed: at import time it asks PyPI (https://pypi.org/pypi/happywhale/json) "
            f"for its latest version and that request failed ({exc}). The live search needs network access "
            "to PyPI and critterspot.happywhale.com: retry when they are reachable, or use CSV exports.",
            transient=True,
        ) from exc
    except Exception as exc:
        raise HappywhaleError(
            f"importing happywhale failed ({type(exc).__name__}: {exc}); its import-time PyPI version "
            "check may have received an unexpected answer: retry later.",
            transient=True,
        ) from exc
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
        sys.path[:] = [p for p in sys.path if p in path]
        if banner.getvalue().strip():
            _log.info("happywhale: %s", " ".join(banner.getvalue().split()))


def _search_area(center: tuple[float, float], radius_km: float) -> dict:
    ring = circle_polygon(center[0], center[1], radius_km)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"radius_km": radius_km},
                "geometry": {"type": "Polygon", "coordinates": [[list(point) for point in ring]]},
            }
        ],
    }


class _Transcript(logging.Handler):
    """What the package logs (root logger, this thread only) and prints, in order."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.thread = threading.get_ident()
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(("log", record.getMessage()))

    def write(self, text: str) -> int:  # stdout sink; progress lines end in "\r"
        self.lines.extend(("print", part.strip()) for part in re.split(r"[\r\n]+", text) if part.strip())
        return len(text)

    def flush(self) -> None:
        pass


@contextlib.contextmanager
def _transcript() -> Iterator[_Transcript]:
    transcript = _Transcript()
    root = logging.getLogger()
    level = root.level
    root.addHandler(transcript)
    if not root.isEnabledFor(logging.ERROR):  # the package's errors must reach our handler
        root.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(transcript):
            yield transcript
    finally:
        root.removeHandler(transcript)
        root.setLevel(level)


def _run_search(
    hw: ModuleType, geometry_file: Path, start: dt.date, end: dt.date, export: Path
) -> list[tuple[str, str]]:
    import requests

    with _transcript() as transcript:
        try:
            hw.geometry_search(
                str(geometry_file), start.isoformat(), end.isoformat(), export=str(export), species=SPECIES
            )
        except SystemExit as exc:
            offered = [text for kind, text in transcript.lines if kind == "print"]
            raise HappywhaleError(
                f"Happywhale does not know species {SPECIES!r} (the package tried to exit: {exc.code!r}); "
                f"species codes it offered: {', '.join(offered[:40]) or 'none'}"
            ) from None
        except UnboundLocalError as exc:
            # The package only assigns its species list when GET /encounter/config answers 200.
            raise HappywhaleError(
                f"Happywhale's species list (GET /v1/cs/encounter/config) failed, so the search for "
                f"{start}..{end} was not sent ({exc}); retry later.",
                transient=True,
            ) from exc
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.JSONDecodeError,
        ) as exc:
            raise HappywhaleError(
                f"Happywhale search for local dates {start}..{end} failed on the network or with a "
                f"non-JSON answer ({type(exc).__name__}: {exc}); retry later.",
                transient=True,
            ) from exc
        except Exception as exc:
            raise HappywhaleError(
                f"happywhale.geometry_search for local dates {start}..{end} failed unexpectedly "
                f"({type(exc).__name__}: {exc})"
            ) from exc
    return transcript.lines


def _search_failed(lines: list[tuple[str, str]], start: dt.date, end: dt.date) -> HappywhaleError:
    """The package writes no export when the search fails; say why, as far as it told us."""
    status = None
    details = []
    for kind, text in lines:
        match = re.match(r"Search failed with status code (\d+)", text)
        if match:
            status = int(match.group(1))
        if match or kind == "log":
            details.append(text)
    transient = status is not None and (status >= 500 or status in (408, 425, 429))
    return HappywhaleError(
        f"Happywhale search for local dates {start}..{end} wrote no export: "
        f"{'; '.join(details) or 'the package gave no reason'}. Retry later"
        + (
            " (the service looks temporarily unavailable)."
            if transient
            else "; if it keeps failing, check the request."
        ),
        transient=transient,
    )


def _row_errors(lines: list[tuple[str, str]]) -> list[str]:
    """The package's "Subscription error for feature i" logs, each with the failed request before it."""
    errors: list[str] = []
    failed_request = None
    for kind, text in lines:
        if kind == "print" and text.startswith("Request failed with"):
            failed_request = text
        elif kind == "print" and text.startswith("Processed"):
            failed_request = None
        elif kind == "log" and text.startswith("Subscription error for feature"):
            errors.append(f"{text} ({failed_request})" if failed_request else text)
            failed_request = None
    return errors
