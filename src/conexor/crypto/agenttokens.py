"""Agent tokens: what an on-premise agent presents to connect for one database.

Same shape and checks as API keys, with their own prefix and hash domain so a
token can never pass as an API key or the other way round::

    cnxa_<12 base62 token id>_<43 base62 secret><6 base62 CRC32 checksum>

Stored as token id + salted, peppered HMAC-SHA256; compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import zlib
from dataclasses import dataclass, field

from conexor.crypto.apikeys import KeyVerifier
from conexor.crypto.encoding import BASE62_ALPHABET, base62_encode_int, is_base62
from conexor.errors import ConexorError

__all__ = [
    "AGENT_TOKEN_PREFIX",
    "AgentToken",
    "InvalidAgentToken",
    "generate_agent_token",
    "make_token_verifier",
    "parse_agent_token",
    "verify_agent_token",
]

AGENT_TOKEN_PREFIX = "cnxa_"  # noqa: S105 - a public prefix, not a secret
_ID = 12
_SECRET = 43
_CHECK = 6
_LENGTH = len(AGENT_TOKEN_PREFIX) + _ID + 1 + _SECRET + _CHECK
_DOMAIN = b"conexor/agent-token/v1\x00"


class InvalidAgentToken(ConexorError):
    """Malformed, unknown, wrong or revoked: deliberately one answer."""

    code = "invalid_agent_token"
    default_public = "invalid agent token"


@dataclass(frozen=True)
class AgentToken:
    """A parsed agent token; its text never shows in a repr."""

    token_id: str
    text: str = field(repr=False)

    def __repr__(self) -> str:
        return f"AgentToken(token_id={self.token_id!r}, text='***')"


def _checksum(body: str) -> str:
    return base62_encode_int(zlib.crc32(body.encode("ascii")), _CHECK)


def generate_agent_token() -> AgentToken:
    """A fresh token with a 256-bit secret."""
    token_id = "".join(secrets.choice(BASE62_ALPHABET) for _ in range(_ID))
    secret = base62_encode_int(int.from_bytes(os.urandom(32), "big"), _SECRET)
    body = f"{AGENT_TOKEN_PREFIX}{token_id}_{secret}"
    return AgentToken(token_id, body + _checksum(body))


def parse_agent_token(text: str) -> AgentToken:
    """Check shape and checksum; raise InvalidAgentToken for anything off."""
    if not isinstance(text, str) or len(text) != _LENGTH or not text.startswith(AGENT_TOKEN_PREFIX):
        raise InvalidAgentToken()
    start = len(AGENT_TOKEN_PREFIX)
    token_id, sep, rest = text[start : start + _ID], text[start + _ID], text[start + _ID + 1 :]
    if sep != "_" or not is_base62(token_id) or not is_base62(rest):
        raise InvalidAgentToken()
    body, check = text[:-_CHECK], text[-_CHECK:]
    if not hmac.compare_digest(_checksum(body), check):
        raise InvalidAgentToken()
    return AgentToken(token_id, text)


def _digest(token: AgentToken, pepper: bytes, salt: bytes) -> bytes:
    return hmac.new(pepper, _DOMAIN + salt + token.text.encode("ascii"), hashlib.sha256).digest()


def make_token_verifier(token: AgentToken, pepper: bytes) -> KeyVerifier:
    """What the store keeps: a random salt and the keyed hash."""
    salt = os.urandom(16)
    return KeyVerifier(salt=salt, digest=_digest(token, pepper, salt))


def verify_agent_token(token: AgentToken, verifier: KeyVerifier, pepper: bytes) -> bool:
    """Constant-time check of a presented token against its stored verifier."""
    return hmac.compare_digest(_digest(token, pepper, verifier.salt), verifier.digest)
