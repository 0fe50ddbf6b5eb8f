"""HTTP status for each error family (one place, so REST and docs agree)."""

from __future__ import annotations

from conexor.agent.errors import AgentUnavailable
from conexor.crypto import CryptoError
from conexor.errors import ConexorError
from conexor.sandbox import DatabaseAuthFailed, DatabaseUnreachable, QueryTimeout
from conexor.server.errors import Forbidden, InvalidApiKey, RateLimited
from conexor.store import Conflict, NotFound

__all__ = ["status_of"]

_STATUS: tuple[tuple[type[ConexorError], int], ...] = (
    (InvalidApiKey, 401),
    (RateLimited, 429),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (DatabaseUnreachable, 502),
    (DatabaseAuthFailed, 502),
    (QueryTimeout, 504),
    (CryptoError, 400),
    (AgentUnavailable, 503),
)


def status_of(exc: ConexorError) -> int:
    """The HTTP status for ``exc``; anything unlisted is a 400."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 400
