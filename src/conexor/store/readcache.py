"""Short-lived copies of the store reads every MCP call makes.

Each call needs the same few rows — the key's verifier and owner, its
toolsets, the databases it may use — which change rarely. Reading them from
the store on every call costs a worker-thread hop and a store round trip
each, more than the rest of a point lookup. Entries here live at most
``ttl_s`` (one second by default) and the whole cache is dropped on any change:
a state-changing REST request, an agent's new schema, or a change announced
by another replica. So a revoked key or a new policy is seen by the next call
on this replica, and by every replica within the TTL even if an announcement
were lost.

A read that started before a drop never refills the cache after it (each
fill carries the generation it was read under), so a slow read cannot bring
back what a revocation removed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Final, TypeVar

import anyio.to_thread

__all__ = ["DEFAULT_TTL_S", "ReadCache"]

T = TypeVar("T")

#: How long an entry may be served without a drop, in seconds.
DEFAULT_TTL_S: Final = 1.0
_MAX_ENTRIES: Final = 20_000


class ReadCache:
    """Values of store reads by key, each for at most ``ttl_s`` seconds."""

    def __init__(
        self,
        ttl_s: float = DEFAULT_TTL_S,
        *,
        max_entries: int = _MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ttl = ttl_s
        self._max = max_entries
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, object]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value of ``key``, or ``load()`` (blocking) stored under it.

        An exception from ``load`` is not cached: a missing row is looked up
        again next time.
        """
        found, value = self._peek(key)
        if found:
            return value  # type: ignore[return-value]
        generation = self._generation
        value = load()
        self._fill(key, value, generation)
        return value

    async def aget(self, key: Hashable, load: Callable[[], T]) -> T:
        """Like :meth:`get`, but a miss loads in a worker thread; a hit never leaves the loop."""
        found, value = self._peek(key)
        if found:
            return value  # type: ignore[return-value]
        return await anyio.to_thread.run_sync(self.get, key, load)

    def peek(self, key: Hashable) -> tuple[bool, object]:
        """``(True, value)`` when ``key`` is cached and fresh, else ``(False, None)``."""
        return self._peek(key)

    def put(self, key: Hashable, value: object, generation: int) -> None:
        """Store ``value`` read under ``generation`` unless the cache was dropped since."""
        self._fill(key, value, generation)

    @property
    def generation(self) -> int:
        """Taken before a read; a drop in between makes its :meth:`put` a no-op."""
        return self._generation

    def clear(self) -> None:
        """Drop everything, and every fill from a read that started before now."""
        with self._lock:
            self._generation += 1
            self._entries = {}

    def __len__(self) -> int:
        return len(self._entries)

    def _peek(self, key: Hashable) -> tuple[bool, object]:
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self._clock():
            return False, None
        return True, entry[1]

    def _fill(self, key: Hashable, value: object, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            if len(self._entries) >= self._max:
                self._entries = {}
            self._entries[key] = (self._clock() + self._ttl, value)
