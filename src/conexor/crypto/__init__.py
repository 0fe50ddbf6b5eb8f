"""Credential encryption and API keys.

:mod:`.envelope` is the recipe the rest of conexor calls; :mod:`.aead` and
:mod:`.kdf` are the only modules that touch ``cryptography.hazmat``. Nobody
outside this package picks a nonce, a salt or an iteration count.
"""

from conexor.crypto.apikeys import (
    ApiKey,
    KeyVerifier,
    generate_api_key,
    generate_pepper,
    make_verifier,
    parse_api_key,
    verify_key,
)
from conexor.crypto.envelope import (
    AadContext,
    Envelope,
    Kek,
    Wrap,
    add_wrap,
    derive_kek,
    remove_wrap,
    seal,
    unseal,
    unseal_with_kek,
)
from conexor.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    MalformedApiKey,
    MalformedEnvelope,
    WeakKdfParams,
)
from conexor.crypto.kdf import DEFAULT_ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS
from conexor.crypto.kekcache import KekCache

__all__ = [
    "DEFAULT_ITERATIONS",
    "MAX_ITERATIONS",
    "MIN_ITERATIONS",
    "AadContext",
    "ApiKey",
    "CryptoError",
    "DecryptionFailed",
    "Envelope",
    "Kek",
    "KekCache",
    "KeyVerifier",
    "MalformedApiKey",
    "MalformedEnvelope",
    "WeakKdfParams",
    "Wrap",
    "add_wrap",
    "derive_kek",
    "generate_api_key",
    "generate_pepper",
    "make_verifier",
    "parse_api_key",
    "remove_wrap",
    "seal",
    "unseal",
    "unseal_with_kek",
    "verify_key",
]
