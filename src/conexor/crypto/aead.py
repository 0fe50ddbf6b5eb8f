"""AES-256-GCM, the only authenticated cipher conexor uses.

This is a primitive module: it imports ``cryptography.hazmat`` and knows
nothing about envelopes. Callers pass every nonce in; :mod:`.envelope` is the
one place that draws them. Ciphertexts carry the 128-bit tag at the end, the
same layout WebCrypto produces, so both sides read the same bytes.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conexor.crypto.errors import DecryptionFailed

__all__ = ["KEY_SIZE", "NONCE_SIZE", "TAG_SIZE", "decrypt", "encrypt"]

KEY_SIZE = 32
"""AES-256 key length in bytes."""
NONCE_SIZE = 12
"""96-bit nonce, the size GCM is designed for."""
TAG_SIZE = 16
"""128-bit authentication tag, appended to the ciphertext."""


def _check_sizes(key: bytes, nonce: bytes) -> None:
    # Wrong sizes are programming errors inside the package, never user input:
    # the envelope parser has already checked every length.
    if len(key) != KEY_SIZE:
        raise ValueError("AES-256-GCM needs a 32-byte key")
    if len(nonce) != NONCE_SIZE:
        raise ValueError("AES-256-GCM needs a 12-byte nonce")


def encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate; returns ``ciphertext || tag``."""
    _check_sizes(key, nonce)
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """Check the tag and decrypt ``ciphertext || tag``.

    Raises :class:`DecryptionFailed` for any failure, including a ciphertext
    too short to hold a tag, so callers cannot tell the causes apart.
    """
    _check_sizes(key, nonce)
    if len(ciphertext) < TAG_SIZE:
        raise DecryptionFailed()
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except InvalidTag:
        raise DecryptionFailed() from None
