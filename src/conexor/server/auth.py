"""API-key authentication shared by REST and MCP.

The key is parsed (format and checksum), its id looked up, its keyed hash
recomputed with the server pepper and compared in constant time. Every failure
is the same ``InvalidApiKey``: callers learn nothing about which step failed.

The lookup (verifier and owner) is served from the short-lived read cache when
fresh, so a call with a known key costs one HMAC and no store read; the hash
is recomputed and compared on every request all the same.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from conexor.config import Secret
from conexor.crypto import ApiKey, KeyVerifier, MalformedApiKey, parse_api_key, verify_key
from conexor.server.errors import InvalidApiKey, RateLimited
from conexor.server.ratelimit import FailureLimiter
from conexor.store import Accounts, KeyRecord, Principal
from conexor.store.readcache import ReadCache

__all__ = ["Authenticated", "Authenticator", "client_address"]

# Set per HTTP request by the edge middleware so the MCP token verifier,
# which sees only the token, can attribute failures to a client address.
_DUMMY_VERIFIER = KeyVerifier(salt=bytes(16), digest=bytes(32))

client_address: contextvars.ContextVar[str] = contextvars.ContextVar("client_address", default="?")


class Authenticated:
    """A verified caller: who they are and the key they presented (kept in memory only)."""

    __slots__ = ("key", "principal")

    def __init__(self, principal: Principal, key: ApiKey) -> None:
        self.principal = principal
        self.key = key

    def __repr__(self) -> str:
        return f"Authenticated(key_id={self.principal.key_id!r})"


class Authenticator:
    """Verify presented API keys against the store."""

    def __init__(
        self,
        accounts: Accounts,
        pepper: Secret,
        limiter: FailureLimiter,
        cache: ReadCache,
    ) -> None:
        self._accounts = accounts
        self._pepper = pepper
        self._limiter = limiter
        self._cache = cache

    def check_rate(self, client: str) -> None:
        """Raise RateLimited if ``client`` has failed too often recently."""
        if self._limiter.blocked(client):
            raise RateLimited()

    def authenticate(self, text: str | None, client: str) -> Authenticated:
        """Return the caller for a presented key, or raise InvalidApiKey / RateLimited.

        Blocking: reads the store when the key's row is not cached.
        """
        return self._check(text, client, self._lookup)

    def authenticate_cached(self, text: str | None, client: str) -> Authenticated | None:
        """Like :meth:`authenticate` without blocking: None when the store must be read."""
        try:
            return self._check(text, client, self._peek)
        except _NeedsStore:
            return None

    def _check(
        self,
        text: str | None,
        client: str,
        lookup: Callable[[str], tuple[KeyRecord, Principal] | None],
    ) -> Authenticated:
        self.check_rate(client)
        try:
            if not text:
                raise InvalidApiKey()
            try:
                key = parse_api_key(text)
            except MalformedApiKey:
                raise InvalidApiKey() from None
            found = lookup(key.key_id)
            # An unknown id still costs one keyed hash, so timing does not tell
            # an attacker which key ids exist.
            verifier = (
                KeyVerifier(salt=found[0].salt, digest=found[0].digest)
                if found
                else _DUMMY_VERIFIER
            )
            valid = verify_key(key, verifier, self._pepper.reveal())
            if found is None or not valid or found[0].revoked_at is not None:
                raise InvalidApiKey()
        except InvalidApiKey:
            self._limiter.fail(client)
            raise
        return Authenticated(found[1], key)

    def _peek(self, key_id: str) -> tuple[KeyRecord, Principal] | None:
        cached, value = self._cache.peek(("auth", key_id))
        if not cached:
            raise _NeedsStore()
        return value  # type: ignore[return-value]

    def _lookup(self, key_id: str) -> tuple[KeyRecord, Principal] | None:
        try:
            return self._peek(key_id)
        except _NeedsStore:
            pass
        generation = self._cache.generation
        record = self._accounts.key(key_id)
        if record is None:
            return None  # unknown ids are not cached: they are rate-limited failures
        found = (record, self._accounts.principal(key_id))
        self._cache.put(("auth", key_id), found, generation)
        return found


class _NeedsStore(Exception):
    """The key's row is not in the read cache."""
