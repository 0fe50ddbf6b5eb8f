"""API-key authentication shared by REST and MCP.

The key is parsed (format and checksum), its id looked up, its keyed hash
recomputed with the server pepper and compared in constant time. Every failure
is the same ``InvalidApiKey``: callers learn nothing about which step failed.
"""

from __future__ import annotations

import contextvars

from conexor.config import Secret
from conexor.crypto import ApiKey, KeyVerifier, MalformedApiKey, parse_api_key, verify_key
from conexor.server.errors import InvalidApiKey, RateLimited
from conexor.server.ratelimit import FailureLimiter
from conexor.store import Accounts, Principal

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

    def __init__(self, accounts: Accounts, pepper: Secret, limiter: FailureLimiter) -> None:
        self._accounts = accounts
        self._pepper = pepper
        self._limiter = limiter

    def check_rate(self, client: str) -> None:
        """Raise RateLimited if ``client`` has failed too often recently."""
        if self._limiter.blocked(client):
            raise RateLimited()

    def authenticate(self, text: str | None, client: str) -> Authenticated:
        """Return the caller for a presented key, or raise InvalidApiKey / RateLimited."""
        self.check_rate(client)
        try:
            if not text:
                raise InvalidApiKey()
            try:
                key = parse_api_key(text)
            except MalformedApiKey:
                raise InvalidApiKey() from None
            record = self._accounts.key(key.key_id)
            # An unknown id still costs one keyed hash, so timing does not tell
            # an attacker which key ids exist.
            verifier = (
                KeyVerifier(salt=record.salt, digest=record.digest) if record else _DUMMY_VERIFIER
            )
            valid = verify_key(key, verifier, self._pepper.reveal())
            if record is None or not valid or record.revoked_at is not None:
                raise InvalidApiKey()
        except InvalidApiKey:
            self._limiter.fail(client)
            raise
        return Authenticated(self._accounts.principal(key.key_id), key)
