"""Ed25519 signatures, the only signature scheme conexor uses.

This is a primitive module: it imports ``cryptography.hazmat`` and knows
nothing about checkpoints or notes. Keys are raw bytes (the 32-byte private
seed and the 32-byte public key, RFC 8032), so callers can store them however
their edge wants; PEM helpers (PKCS#8 / SubjectPublicKeyInfo, unencrypted)
cover the usual key-file format. Reading and writing files, and their 0600
mode, belong to the caller.

Malformed key material raises :class:`ValueError`, which callers map to their
own error (as :mod:`.encoding` does). :func:`is_valid_signature` answers with
a boolean because whether a bad signature is an error, and which one, is the
recipe's decision (``conexor.audit.checkpoint`` raises ``BadSignature``).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

__all__ = [
    "PRIVATE_KEY_SIZE",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
    "generate_private_key",
    "is_valid_signature",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key",
    "public_key_from_pem",
    "public_key_to_pem",
    "sign",
]

PRIVATE_KEY_SIZE = 32
"""Ed25519 private key (seed) length in bytes."""
PUBLIC_KEY_SIZE = 32
"""Ed25519 public key length in bytes."""
SIGNATURE_SIZE = 64
"""Ed25519 signature length in bytes."""

_RAW = serialization.Encoding.Raw


def _private(private_key: bytes) -> Ed25519PrivateKey:
    if not isinstance(private_key, bytes) or len(private_key) != PRIVATE_KEY_SIZE:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(private_key)


def _public(public_key: bytes) -> Ed25519PublicKey:
    if not isinstance(public_key, bytes) or len(public_key) != PUBLIC_KEY_SIZE:
        raise ValueError("an Ed25519 public key is 32 bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(public_key)
    except ValueError:
        raise ValueError("not an Ed25519 public key") from None


def generate_private_key() -> bytes:
    """A fresh random Ed25519 private key (32-byte seed) from the OS generator."""
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def public_key(private_key: bytes) -> bytes:
    """The 32-byte public key of ``private_key``."""
    return _private(private_key).public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)


def sign(private_key: bytes, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message`` (deterministic, RFC 8032)."""
    return _private(private_key).sign(message)


def is_valid_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Tell whether ``signature`` is ``public_key``'s signature of ``message``.

    A malformed public key or a signature of the wrong length is simply not valid.
    """
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        return False
    try:
        _public(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def private_key_to_pem(private_key: bytes) -> bytes:
    """PKCS#8 PEM of ``private_key``, unencrypted: protect the file (mode 0600) instead."""
    return _private(private_key).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(pem: bytes) -> bytes:
    """The raw private key in an unencrypted PKCS#8 PEM; anything else raises ValueError."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("not an unencrypted PKCS#8 PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the PEM key is not an Ed25519 key")
    return key.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())


def public_key_to_pem(public_key: bytes) -> bytes:
    """SubjectPublicKeyInfo PEM of ``public_key``."""
    return _public(public_key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_from_pem(pem: bytes) -> bytes:
    """The raw public key in a SubjectPublicKeyInfo PEM; anything else raises ValueError."""
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError("not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the PEM key is not an Ed25519 key")
    return key.public_bytes(_RAW, serialization.PublicFormat.Raw)
