"""PBKDF2-HMAC-SHA256, which turns an API key into a key-encryption key.

A primitive module: it imports ``cryptography.hazmat`` and enforces the
iteration bounds. The bounds are checked on every derivation, including when
opening a stored envelope, so lowering the count in the store buys an attacker
nothing, and an absurd count cannot pin a CPU.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

from conexor.crypto.errors import WeakKdfParams

__all__ = [
    "DEFAULT_ITERATIONS",
    "KEK_SIZE",
    "MAX_ITERATIONS",
    "MIN_ITERATIONS",
    "SALT_SIZE",
    "check_iterations",
    "derive_kek",
]

DEFAULT_ITERATIONS = 600_000
"""Iterations used for new wraps (OWASP 2023 guidance for PBKDF2-HMAC-SHA256)."""
MIN_ITERATIONS = 600_000
"""Fewest iterations accepted, for new wraps and stored ones alike."""
MAX_ITERATIONS = 5_000_000
"""Most iterations accepted; above this a stored wrap is a denial of service."""
SALT_SIZE = 16
"""Salt length in bytes."""
KEK_SIZE = 32
"""Derived key length in bytes (an AES-256 key)."""


def check_iterations(iterations: int) -> None:
    """Raise :class:`WeakKdfParams` unless the count is within the bounds."""
    if not isinstance(iterations, int) or isinstance(iterations, bool):
        raise WeakKdfParams("the key derivation iteration count must be an integer")
    if iterations < MIN_ITERATIONS:
        raise WeakKdfParams("the key derivation iteration count is below the minimum")
    if iterations > MAX_ITERATIONS:
        raise WeakKdfParams("the key derivation iteration count is above the maximum")


def derive_kek(password: bytes, salt: bytes, iterations: int) -> bytes:
    """Derive a 32-byte key-encryption key with PBKDF2-HMAC-SHA256.

    Raises :class:`WeakKdfParams` for an iteration count outside
    [``MIN_ITERATIONS``, ``MAX_ITERATIONS``] or a salt that is not 16 bytes.
    """
    check_iterations(iterations)
    if len(salt) != SALT_SIZE:
        raise WeakKdfParams("the key derivation salt must be 16 bytes")
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=KEK_SIZE, salt=salt, iterations=iterations)
    return kdf.derive(password)
