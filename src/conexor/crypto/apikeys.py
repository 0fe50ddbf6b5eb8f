"""API keys: generation, parsing, and the verifier the server stores.

A key reads ``cnx_<key id>_<secret><checksum>``:

* key id — 12 random base62 characters, public, the row the server looks up;
* secret — 32 random bytes as 43 base62 characters, left-padded with ``'0'``;
* checksum — CRC32 of the ASCII text ``cnx_<key id>_<secret>`` as 6 base62
  characters, so secret scanners can recognise a leaked key and a mistyped
  key is rejected before any store lookup.

The server never stores the key. It stores a :class:`KeyVerifier`, an
HMAC-SHA256 keyed by a server pepper kept outside the store. A fast keyed
hash is right here: the secret has 256 bits of entropy, so there is nothing
for a slow hash to protect against guessing. The encryption key for
credentials comes from an independent derivation (PBKDF2 with a per-wrap
salt, in :mod:`.envelope`), so the verifier reveals nothing about it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import zlib
from dataclasses import dataclass, field

from conexor.crypto.encoding import (
    BASE62_ALPHABET,
    base62_decode_int,
    base62_encode_int,
    is_base62,
)
from conexor.crypto.errors import CryptoError, MalformedApiKey

__all__ = [
    "API_KEY_LENGTH",
    "API_KEY_PREFIX",
    "ApiKey",
    "KeyVerifier",
    "generate_api_key",
    "generate_pepper",
    "make_verifier",
    "parse_api_key",
    "verify_key",
]

API_KEY_PREFIX = "cnx_"
KEY_ID_LENGTH = 12
SECRET_BYTES = 32
SECRET_LENGTH = 43
CHECKSUM_LENGTH = 6
API_KEY_LENGTH = len(API_KEY_PREFIX) + KEY_ID_LENGTH + 1 + SECRET_LENGTH + CHECKSUM_LENGTH
"""Every API key is exactly this many ASCII characters (66)."""

PEPPER_SIZE = 32
VERIFIER_SALT_SIZE = 16
_VERIFIER_DOMAIN = b"conexor/api-key-auth/v1\x00"

_SECRET_START = len(API_KEY_PREFIX) + KEY_ID_LENGTH + 1
_CHECKSUM_START = _SECRET_START + SECRET_LENGTH


def _checksum(body: str) -> str:
    """Base62 CRC32 of ``cnx_<key id>_<secret>``; detects typos, not forgery."""
    return base62_encode_int(zlib.crc32(body.encode("ascii")), CHECKSUM_LENGTH)


def _check_key_text(text: object) -> str:
    """Return the key id of a well-formed key text; raise otherwise."""
    # (1) Shape: exact length, prefix and separator. Nothing is stripped.
    if not isinstance(text, str) or len(text) != API_KEY_LENGTH:
        raise MalformedApiKey()
    if not text.startswith(API_KEY_PREFIX) or text[_SECRET_START - 1] != "_":
        raise MalformedApiKey()
    key_id = text[len(API_KEY_PREFIX) : _SECRET_START - 1]
    secret = text[_SECRET_START:_CHECKSUM_START]
    checksum = text[_CHECKSUM_START:]
    # (2) Alphabet: base62 only.
    if not (is_base62(key_id) and is_base62(secret) and is_base62(checksum)):
        raise MalformedApiKey()
    # (3) The secret spells a 256-bit number, one spelling per value.
    if base62_decode_int(secret) >= 1 << (8 * SECRET_BYTES):
        raise MalformedApiKey()
    # (4) Checksum over everything before it.
    if not hmac.compare_digest(_checksum(text[:_CHECKSUM_START]), checksum):
        raise MalformedApiKey()
    return key_id


@dataclass(frozen=True)
class ApiKey:
    """A parsed, well-formed API key.

    Construction validates the text, so holding an ``ApiKey`` means holding a
    key with a valid shape and checksum. ``text`` is the whole key and is the
    secret: the repr masks it.
    """

    key_id: str
    text: str = field(repr=False)

    def __post_init__(self) -> None:
        if _check_key_text(self.text) != self.key_id:
            raise MalformedApiKey()

    def __repr__(self) -> str:
        return f"ApiKey(key_id={self.key_id!r}, text='***')"

    __str__ = __repr__


def _make_api_key(*, key_id: str, secret: bytes) -> ApiKey:
    """Deterministic twin of :func:`generate_api_key` (for vectors and tests)."""
    if len(key_id) != KEY_ID_LENGTH or not is_base62(key_id):
        raise MalformedApiKey()
    if len(secret) != SECRET_BYTES:
        raise MalformedApiKey()
    body = (
        f"{API_KEY_PREFIX}{key_id}_"
        f"{base62_encode_int(int.from_bytes(secret, 'big'), SECRET_LENGTH)}"
    )
    return ApiKey(key_id=key_id, text=body + _checksum(body))


def generate_api_key() -> ApiKey:
    """Create a new API key: a random key id and 32 random bytes of secret."""
    key_id = "".join(secrets.choice(BASE62_ALPHABET) for _ in range(KEY_ID_LENGTH))
    return _make_api_key(key_id=key_id, secret=os.urandom(SECRET_BYTES))


def parse_api_key(text: str) -> ApiKey:
    """Parse key text exactly as given; raise :class:`MalformedApiKey` if malformed.

    Wrong prefix, wrong lengths, characters outside base62, a secret above
    256 bits, a bad checksum and surrounding whitespace are all rejected.
    """
    key_id = _check_key_text(text)
    return ApiKey(key_id=key_id, text=text)


def generate_pepper() -> bytes:
    """Create a 32-byte server pepper; keep it outside the store."""
    return os.urandom(PEPPER_SIZE)


@dataclass(frozen=True)
class KeyVerifier:
    """What the server stores for a key: a random salt and a keyed digest."""

    salt: bytes
    digest: bytes


def _verifier_digest(key: ApiKey, pepper: bytes, salt: bytes) -> bytes:
    if len(pepper) < PEPPER_SIZE:
        raise CryptoError("the API key pepper must be at least 32 bytes")
    message = _VERIFIER_DOMAIN + salt + key.text.encode("ascii")
    return hmac.new(pepper, message, hashlib.sha256).digest()


def _make_verifier(key: ApiKey, pepper: bytes, *, salt: bytes) -> KeyVerifier:
    """Deterministic twin of :func:`make_verifier`."""
    if len(salt) != VERIFIER_SALT_SIZE:
        raise CryptoError("the API key verifier salt must be 16 bytes")
    return KeyVerifier(salt=salt, digest=_verifier_digest(key, pepper, salt))


def make_verifier(key: ApiKey, pepper: bytes) -> KeyVerifier:
    """Compute the verifier to store for ``key``, with a fresh 16-byte salt.

    ``digest = HMAC-SHA256(pepper, "conexor/api-key-auth/v1\\x00" || salt || key text)``.
    """
    return _make_verifier(key, pepper, salt=os.urandom(VERIFIER_SALT_SIZE))


def verify_key(key: ApiKey, verifier: KeyVerifier, pepper: bytes) -> bool:
    """Tell whether ``key`` matches the stored verifier, in constant time."""
    expected = _verifier_digest(key, pepper, verifier.salt)
    return hmac.compare_digest(expected, verifier.digest)
