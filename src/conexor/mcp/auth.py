"""Bearer API-key verification for the MCP endpoint."""

from __future__ import annotations

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

from conexor.crypto import parse_api_key
from conexor.server.auth import Authenticated, Authenticator, client_address
from conexor.server.errors import AuthError
from conexor.store import Principal

__all__ = ["ApiKeyVerifier", "current_caller"]

SCOPE = "sql"


class ApiKeyVerifier:
    """The SDK's TokenVerifier: a valid, unrevoked API key becomes an AccessToken."""

    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    async def verify_token(self, token: str) -> AccessToken | None:
        """Return the caller's token, or None (the SDK answers 401) for any failure."""
        client = client_address.get()
        try:
            caller = self._authenticator.authenticate_cached(token, client)
            if caller is None:  # not in the read cache: the store is read in a worker thread
                caller = await anyio.to_thread.run_sync(
                    self._authenticator.authenticate, token, client
                )
        except AuthError:
            return None
        p = caller.principal
        return AccessToken(
            token=token,
            client_id=p.key_id,
            subject=p.user_id,
            # Auditors read the audit trail only: without the scope the SDK answers 403.
            scopes=[] if p.role == "auditor" else [SCOPE],
            claims={"org_id": p.org_id, "org_name": p.org_name, "email": p.email, "role": p.role},
        )


def current_caller() -> Authenticated:
    """The caller of the MCP request being handled (set by the SDK's bearer middleware)."""
    token = get_access_token()
    if token is None or token.claims is None or token.subject is None:
        raise AuthError("invalid API key")
    principal = Principal(
        org_id=token.claims["org_id"],
        org_name=token.claims["org_name"],
        user_id=token.subject,
        email=token.claims["email"],
        key_id=token.client_id,
        role=token.claims.get("role", "member"),
    )
    return Authenticated(principal, parse_api_key(token.token))
