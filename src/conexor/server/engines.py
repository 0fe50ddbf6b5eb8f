"""Pooled database engines per (database, revision, API key), closed when idle.

In cloud mode the decrypted URL exists only inside an engine held here, in
process memory, for at most ``idle_s`` after its last use. Engines are keyed by
the caller's key id as well as the database, so a key whose wrap was removed
never reuses an engine another key opened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

__all__ = ["EnginePool"]

EngineKey = tuple[str, int, str]


@dataclass
class _Entry:
    engine: Engine
    last_used: float


class EnginePool:
    """Hands out engines, building them on first use and disposing idle ones."""

    def __init__(self, idle_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._idle_s = idle_s
        self._clock = clock
        self._entries: dict[EngineKey, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: EngineKey) -> Engine | None:
        """The live engine for ``key``, or None."""
        self.reap()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            entry.last_used = self._clock()
            return entry.engine

    def put(self, key: EngineKey, engine: Engine) -> Engine:
        """Keep ``engine`` for ``key``; if another thread won the race, keep theirs."""
        with self._lock:
            existing = self._entries.get(key)
            if existing is not None:
                engine.dispose()
                existing.last_used = self._clock()
                return existing.engine
            self._entries[key] = _Entry(engine, self._clock())
            return engine

    def discard(self, predicate: Callable[[EngineKey], bool]) -> None:
        """Dispose every engine whose key matches (database removed, key revoked)."""
        with self._lock:
            doomed = [k for k in self._entries if predicate(k)]
            entries = [self._entries.pop(k) for k in doomed]
        for entry in entries:
            entry.engine.dispose()

    def reap(self) -> None:
        """Dispose engines unused for longer than the idle timeout."""
        cutoff = self._clock() - self._idle_s
        with self._lock:
            stale = [k for k, e in self._entries.items() if e.last_used < cutoff]
            entries = [self._entries.pop(k) for k in stale]
        for entry in entries:
            entry.engine.dispose()

    def close(self) -> None:
        """Dispose everything (server shutdown)."""
        self.discard(lambda _key: True)

    def __len__(self) -> int:
        return len(self._entries)
