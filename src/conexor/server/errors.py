"""Server-side request errors::

AuthError (auth_error)
 ├── InvalidApiKey (invalid_api_key)   wrong, missing, malformed or revoked key: one message
 ├── RateLimited (rate_limited)        too many failed attempts from one client
 └── Forbidden (forbidden)             a valid key whose user's role may not do this
BadRequest (bad_request)               input the server refuses, with a one-line reason
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["AuthError", "BadRequest", "Forbidden", "InvalidApiKey", "RateLimited"]


class AuthError(ConexorError):
    """The caller could not be authenticated."""

    code = "auth_error"


class InvalidApiKey(AuthError):
    """Deliberately says nothing about why: unknown, malformed, wrong and revoked look alike."""

    code = "invalid_api_key"
    default_public = "invalid API key"


class RateLimited(AuthError):
    """Too many failed authentication attempts; the client must wait."""

    code = "rate_limited"
    default_public = "too many failed attempts; try again in a minute"


class Forbidden(AuthError):
    """The caller is known, but their role does not allow this (see ``server.roles``)."""

    code = "forbidden"
    default_public = "your role may not do this"


class BadRequest(ConexorError):
    """Input the server refuses; ``public`` says what to fix."""

    code = "bad_request"
    default_public = "bad request"
