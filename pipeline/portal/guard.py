"""What the upload page refuses, and the record of it: failed logins throttled, refusals written down.

* :class:`Throttle`: failed logins per account name and per client address in a sliding window
  (``portal.login_attempts`` within ``portal.login_window_seconds``); once either has reached the limit, the next
  attempt is refused without checking the password until the window has moved on. In memory: one page process.
* :class:`Record`: one JSON line per refusal or login in ``<data root>/portal/nhat-ky.jsonl`` (owner-only):
  when, what, the account name (a unit's code or a district role), the client address, the request path and a
  reason code — never a password, a file's content or a household's data.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import logging
import os
import threading
from pathlib import Path

from pipeline.files import ensure_dir

log = logging.getLogger(__name__)


class Throttle:
    """Failed logins in a sliding window, by key (``"account:22828"``, ``"address:127.0.0.1"``)."""

    def __init__(self, attempts: int, window_seconds: float) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._failures: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> collections.deque[float]:
        times = self._failures[key]
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, keys: list[str], now: float) -> bool:
        """Whether any key has reached the limit of failures within the window ending at ``now`` (seconds)."""
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def failed(self, keys: list[str], now: float) -> None:
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)


class Record:
    """Append-only record of the page's refusals and logins (see the module)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def write(self, event: str, *, at: dt.datetime, account: str | None, address: str | None, path: str,
              reason: str = "") -> None:
        line = json.dumps({"at": at.isoformat(timespec="seconds"), "event": event, "account": account,
                           "address": address, "path": path, "reason": reason}, ensure_ascii=False)
        with self._lock:
            ensure_dir(self.path.parent, private=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        log.info("Upload page: %s (%s) account=%s path=%s", event, reason or "-", account or "-", path)

    def read(self) -> list[dict[str, str]]:
        """Every recorded event, oldest first."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]
