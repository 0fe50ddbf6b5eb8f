"""Debian's Chromium driven by Playwright, for the dashboard tests.

Browsers cannot be downloaded where the tests run, so Playwright is pointed at
the system binary. A missing browser skips (or fails under
``CONEXOR_REQUIRE_SERVICES=1``) like a missing database server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from tests.services import unavailable

CHROMIUM = os.environ.get("CONEXOR_CHROMIUM", "/usr/bin/chromium")
T = TypeVar("T")


def chromium_path() -> str:
    """The browser binary, or skip/fail when it is not installed."""
    if not Path(CHROMIUM).exists():
        unavailable(f"Chromium at {CHROMIUM}")
    return CHROMIUM


def screenshot_dir() -> Path | None:
    """Where to save page screenshots (``make screenshots`` sets it), or None."""
    value = os.environ.get("CONEXOR_SCREENSHOTS")
    return Path(value) if value else None


def off_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in another thread: Playwright's sync API owns this thread's event loop."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
