"""Failed-authentication rate limiting, per client address.

A sliding one-minute window: after ``limit`` failures a client gets 429 until
the window moves on, so online guessing of keys or key ids is slow. Successful
requests are never counted.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["FailureLimiter"]


class FailureLimiter:
    """Counts failures per client in a sliding window."""

    def __init__(
        self, limit: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str) -> bool:
        """True when ``client`` has used up its failures in the current window."""
        with self._lock:
            return len(self._recent(client)) >= self._limit

    def fail(self, client: str) -> None:
        """Record one failed attempt by ``client``."""
        with self._lock:
            self._recent(client).append(self._clock())
            if len(self._failures) > 100_000:  # bound memory under a spray of addresses
                self._failures = {k: v for k, v in self._failures.items() if v}

    def _recent(self, client: str) -> deque[float]:
        bucket = self._failures.setdefault(client, deque())
        cutoff = self._clock() - self._window
        while bucket and bucket[0] < cutoff:
            bucket.popleft()
        return bucket
