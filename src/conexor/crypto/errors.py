"""Errors raised by :mod:`conexor.crypto`.

The tree::

    ConexorError                     (conexor.errors)
     └── CryptoError                 crypto_error
          ├── DecryptionFailed       decryption_failed
          ├── MalformedEnvelope      envelope_malformed
          ├── WeakKdfParams          kdf_params_rejected
          └── MalformedApiKey        invalid_api_key

Every unseal failure — wrong key, missing wrap, tampered ciphertext, wrong
associated data — is the same opaque :class:`DecryptionFailed`, so an attacker
probing the store learns nothing from which one it was. Messages never carry a
key, a derived key or a plaintext.
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = [
    "CryptoError",
    "DecryptionFailed",
    "MalformedApiKey",
    "MalformedEnvelope",
    "WeakKdfParams",
]


class CryptoError(ConexorError):
    """Base class of every error raised by the crypto package."""

    code = "crypto_error"
    default_public = "a cryptographic operation failed"


class DecryptionFailed(CryptoError):
    """The envelope could not be opened with this API key and context.

    Deliberately one error for every cause: wrong key, no wrap for the key,
    tampered ciphertext or tag, and associated data that does not match.
    """

    code = "decryption_failed"
    default_public = "the stored credential could not be decrypted with this API key"


class MalformedEnvelope(CryptoError):
    """The envelope JSON is not a well-formed version 1 envelope."""

    code = "envelope_malformed"
    default_public = "the encrypted credential is malformed"


class WeakKdfParams(CryptoError):
    """The key derivation parameters are outside the range we accept.

    Raised before any derivation runs, so a store writer who lowers a wrap's
    iteration count gets a refusal rather than a cheaper attack.
    """

    code = "kdf_params_rejected"
    default_public = "the key derivation parameters are outside the allowed range"


class MalformedApiKey(CryptoError):
    """The text is not a well-formed conexor API key (format or checksum)."""

    code = "invalid_api_key"
    default_public = "invalid API key"
