"""Headless Chromium (Debian's `chromium`) driven over the Chrome DevTools Protocol, for UI tests.

`chromium --dump-dom` returns Dagster's React app before its GraphQL answers arrive (virtual
time does not wait for the network), so the tests keep one browser open, load a page, and poll
its rendered text until what a person would read is there. The protocol is spoken with
`websockets` (its sync client); the browser runs in its own process group, killed on exit.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from websockets.sync.client import ClientConnection, connect

CHROMIUM_NAMES = ("chromium", "chromium-browser")
WINDOW = (1600, 1000)
STARTUP_TIMEOUT_S = 60
COMMAND_TIMEOUT_S = 60


def chromium_path() -> str | None:
    """The installed Chromium, or None (Debian: `apt-get install chromium`)."""
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


class PageNotReady(AssertionError):
    """The page never showed what was waited for; carries the text it did show."""


class Page:
    """One browser tab: load a URL, read its rendered text, click, take screenshots."""

    def __init__(self, connection: ClientConnection):
        self._connection = connection
        self._ids = itertools.count(1)

    def command(self, method: str, **params: object) -> dict:
        """Send one DevTools command and return its result (events in between are ignored)."""
        message_id = next(self._ids)
        self._connection.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + COMMAND_TIMEOUT_S
        while True:
            answer = json.loads(self._connection.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            if answer.get("id") != message_id:
                continue
            if "error" in answer:
                raise RuntimeError(f"{method}: {answer['error']}")
            return answer["result"]

    def evaluate(self, expression: str) -> object:
        result = self.command("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression!r} raised {result['exceptionDetails']}")
        return result["result"].get("value")

    def goto(self, url: str) -> None:
        self.command("Page.navigate", url=url)

    def text(self) -> str:
        """What a person reads: the rendered text of the page (SVG labels included)."""
        return (
            self.evaluate(
                "document.body ? document.body.innerText + '\\n' + "
                "Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join('\\n') "
                ": ''"
            )
            or ""
        )

    def wait_for_text(self, *needles: str, timeout: float = 90) -> str:
        """Poll the rendered text until every needle appears; returns that text."""
        return self.wait_until(lambda text: all(needle in text for needle in needles), f"{list(needles)}", timeout)

    def wait_until(self, shown: Callable[[str], bool], what: str, timeout: float = 90) -> str:
        """Poll the rendered text until `shown(text)` holds; returns that text."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.text()
            if shown(text):
                return text
            if time.monotonic() > deadline:
                raise PageNotReady(f"{what} not shown within {timeout} s; the page shows:\n{text[:4000]}")
            time.sleep(0.5)

    def click_text(self, text: str, selector: str = "button, a, [role=tab]") -> None:
        """Click the first element matching `selector` whose visible text is exactly `text`."""
        clicked = self.evaluate(
            f"(() => {{ const el = Array.from(document.querySelectorAll({json.dumps(selector)}))"
            f".find(e => e.innerText.trim() === {json.dumps(text)}); if (el) el.click(); return !!el; }})()"
        )
        if not clicked:
            raise PageNotReady(f"nothing to click labelled {text!r}; the page shows:\n{self.text()[:4000]}")

    def press(self, code: str, key: str, alt: bool = False) -> None:
        """A key press as the keyboard sends it, e.g. `press("KeyE", "e", alt=True)` for a UI shortcut."""
        for kind in ("keyDown", "keyUp"):
            self.command("Input.dispatchKeyEvent", type=kind, code=code, key=key, modifiers=1 if alt else 0)

    def images(self) -> list[dict]:
        """The page's <img> elements: src prefix, natural size, whether they loaded."""
        return self.evaluate(
            "Array.from(document.images).map(i => ({src: i.src.slice(0, 64), width: i.naturalWidth, "
            "height: i.naturalHeight, complete: i.complete}))"
        )

    def loaded_images(self, timeout: float = 30) -> list[dict]:
        """`images()` once every one has finished loading (or failed to)."""
        deadline = time.monotonic() + timeout
        images = self.images()
        while not all(image["complete"] for image in images) and time.monotonic() < deadline:
            time.sleep(0.5)
            images = self.images()
        return images

    def screenshot(self, path: Path) -> Path:
        data = self.command("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path


@contextmanager
def headless_chromium(profile: Path, log: Path) -> Iterator[Page]:
    """A headless Chromium with one blank tab, its profile in `profile`; killed (process group) on exit."""
    executable = chromium_path()
    if executable is None:
        raise FileNotFoundError("no chromium on PATH")
    profile.mkdir(parents=True, exist_ok=True)
    (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a reused profile's is stale
    command = [
        executable,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--no-default-browser-check",
        "--hide-scrollbars",
        "--mute-audio",
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
        f"--user-data-dir={profile}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    with log.open("wb") as log_file:
        browser = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            port = _devtools_port(profile, browser)
            with connect(_page_socket(port), max_size=None, open_timeout=STARTUP_TIMEOUT_S) as connection:
                page = Page(connection)
                page.command("Page.enable")
                page.command(
                    "Emulation.setDeviceMetricsOverride",
                    width=WINDOW[0],
                    height=WINDOW[1],
                    deviceScaleFactor=1,
                    mobile=False,
                )
                yield page
        finally:
            _stop(browser)


def _devtools_port(profile: Path, browser: subprocess.Popen) -> int:
    """Chromium writes the port it chose to DevToolsActivePort in its profile."""
    active_port = profile / "DevToolsActivePort"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if browser.poll() is not None:
            raise RuntimeError(f"chromium exited with {browser.returncode}")
        if active_port.exists() and (lines := active_port.read_text().split()):
            return int(lines[0])
        time.sleep(0.2)
    raise TimeoutError(f"chromium did not open its DevTools port within {STARTUP_TIMEOUT_S} s")


def _page_socket(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
        targets = json.load(response)
    return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")


def _stop(browser: subprocess.Popen) -> None:
    """End the browser's process group: the browser, then any renderer or helper left behind."""
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        try:
            os.killpg(browser.pid, sig)
        except ProcessLookupError:
            pass
        try:
            browser.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
