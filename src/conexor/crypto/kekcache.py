"""A bounded, in-memory cache of key-encryption keys.

PBKDF2 at 600,000 iterations is deliberately slow; a server that opens the
same credential for every request with the same API key caches the KEK for a
short time instead. Entries are found by an HMAC of the key text, salt and
iteration count under a random per-process key, so a different API key can
never hit another key's entry and the cache holds no key text. Entries expire
after ``ttl_s`` and the least recently used one is evicted past
``max_entries``. Nothing is ever written to disk.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from conexor.crypto.apikeys import ApiKey
from conexor.crypto.envelope import Envelope, Kek, derive_kek
from conexor.crypto.errors import DecryptionFailed

__all__ = ["KekCache"]

_DOMAIN = b"conexor/kek-cache/v1\x00"


class KekCache:
    """Thread-safe TTL + LRU cache in front of :func:`~.envelope.derive_kek`."""

    def __init__(
        self,
        ttl_s: float = 300,
        max_entries: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not ttl_s > 0:
            raise ValueError("ttl_s must be positive")
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._index_key = os.urandom(32)
        self._entries: OrderedDict[bytes, tuple[float, Kek]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"KekCache(ttl_s={self._ttl_s!r}, max_entries={self._max_entries!r})"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _index(self, key: ApiKey, salt: bytes, iterations: int) -> bytes:
        # The key text has a fixed length and the salt is 16 bytes, so the
        # concatenation is unambiguous.
        message = _DOMAIN + key.text.encode("ascii") + salt + iterations.to_bytes(8, "big")
        return hmac.new(self._index_key, message, hashlib.sha256).digest()

    def get_or_derive(self, env: Envelope, key: ApiKey) -> Kek:
        """Return the cached KEK for ``key``'s wrap in ``env``, deriving it on a miss.

        Raises what :func:`~.envelope.derive_kek` raises. Failures are not cached.
        """
        wrap = env.wrap_for(key.key_id)
        if wrap is None:
            raise DecryptionFailed()
        index = self._index(key, wrap.salt, wrap.iterations)
        with self._lock:
            entry = self._entries.get(index)
            if entry is not None:
                expires, kek = entry
                if self._clock() < expires:
                    self._entries.move_to_end(index)
                    return kek
                del self._entries[index]
        # Derive outside the lock: it takes a while and other keys should not wait.
        kek = derive_kek(env, key)
        with self._lock:
            self._entries[index] = (self._clock() + self._ttl_s, kek)
            self._entries.move_to_end(index)
            self._evict()
        return kek

    def _evict(self) -> None:
        now = self._clock()
        for index in [i for i, (expires, _) in self._entries.items() if expires <= now]:
            del self._entries[index]
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def discard_key_id(self, key_id: str) -> None:
        """Forget every KEK derived for ``key_id`` (call on revocation)."""
        with self._lock:
            for index in [i for i, (_, kek) in self._entries.items() if kek.key_id == key_id]:
                del self._entries[index]

    def clear(self) -> None:
        """Forget every KEK."""
        with self._lock:
            self._entries.clear()
