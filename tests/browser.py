"""A logged-in screenshot of an Airflow UI page with headless Chromium, driven over the DevTools protocol.

The simple auth manager's UI keeps the user's JWT in the cookie ``_token``; the cookie is set before the page
is opened, so the page shows as it does for that user after logging in. Only loopback addresses are opened.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from websockets.sync.client import connect

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
]


def chromium() -> str | None:
    """Path of the Chromium binary (Debian's package), None when it is not installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 at the time of the call."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Page:
    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)

    def call(self, method: str, **params):
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.ws.recv(timeout=60))
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def text(self) -> str:
        result = self.call("Runtime.evaluate", expression="document.body ? document.body.innerText : ''",
                           returnByValue=True)
        return result.get("result", {}).get("value", "")


def screenshot(url: str, token: str, out: Path, wait_for: list[str], width: int = 1600, height: int = 1000,
               timeout: float = 90) -> str:
    """Open ``url`` logged in with ``token`` and save a PNG of the viewport to ``out``.

    Waits until the page's text contains every string of ``wait_for`` (then one more second for drawing), and
    returns that text. Raises RuntimeError at ``timeout`` seconds with the text shown, or when Chromium is
    missing.
    """
    binary = chromium()
    if binary is None:
        raise RuntimeError("Chromium is not installed (make system-deps installs Debian's package)")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        proc = subprocess.Popen(
            [binary, *CHROMIUM_FLAGS, f"--remote-debugging-port={port}", "--remote-debugging-address=127.0.0.1",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            ws_url = None
            end = time.monotonic() + 30
            while ws_url is None and time.monotonic() < end:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=2) as r:
                        pages = [t for t in json.loads(r.read()) if t.get("type") == "page"]
                    ws_url = pages[0]["webSocketDebuggerUrl"] if pages else None
                except OSError:
                    time.sleep(0.3)
            if ws_url is None:
                raise RuntimeError("Chromium's DevTools endpoint did not answer")
            with connect(ws_url, max_size=None, open_timeout=10) as ws:
                page = _Page(ws)
                page.call("Network.enable")
                page.call("Network.setCookie", name="_token", value=token, url=url, path="/", httpOnly=False)
                page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                          mobile=False)
                page.call("Page.enable")
                page.call("Page.navigate", url=url)
                text = ""
                end = time.monotonic() + timeout
                while time.monotonic() < end:
                    text = page.text()
                    if all(s in text for s in wait_for):
                        break
                    time.sleep(1)
                else:
                    raise RuntimeError(f"page {url} did not show {wait_for} in {timeout:.0f} s; it shows:\n{text}")
                time.sleep(1.5)
                data = page.call("Page.captureScreenshot", format="png")["data"]
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(base64.b64decode(data))
            return text
        finally:  # Chromium and its helper processes: the session it leads
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=10)
                    time.sleep(0.5)  # helpers leave after the browser
                except subprocess.TimeoutExpired:
                    continue


def offline_dom(page: Path, timeout: float = 180) -> str:
    """The DOM of the local HTML file ``page`` as headless Chromium builds it with no network: run in a network
    namespace of its own with only loopback up (:func:`ops.screenshots.offline_command`), its scripts given 5 s of
    virtual time. Raises RuntimeError when Chromium fails."""
    from ops.screenshots import offline_command

    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        result = subprocess.run(
            offline_command([f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
                             page.resolve().as_uri()]),
            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"Chromium could not open {page} offline: {result.stderr[-2000:]}")
    return result.stdout


def offline_screenshot(page: Path, out: Path, width: int = 1400, height: int = 1800) -> Path:
    """A PNG of the local HTML file ``page`` as Chromium shows it with no network, written to ``out`` (a test's
    tmp_path, never the tree): :func:`ops.screenshots.offline_screenshot` in its own network namespace."""
    from ops.screenshots import offline_screenshot as shot

    return shot(page, out, width=width, height=height)


DOCS_SCREENSHOTS = "PIPELINE_DOCS_SCREENSHOTS"


def publish_screenshot(png: Path, name: str) -> Path | None:
    """Copy a screenshot a test wrote to its temporary folder into the folder ``PIPELINE_DOCS_SCREENSHOTS`` names
    (``make screenshots`` sets it to docs/) under ``name``; None, and nothing written, when it is unset: a test run
    leaves the tree clean."""
    folder = os.environ.get(DOCS_SCREENSHOTS, "").strip()
    if not folder:
        return None
    out = Path(folder) / name
    shutil.copyfile(png, out)
    return out
