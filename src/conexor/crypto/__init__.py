"""Credential encryption and API keys.

:mod:`.envelope` is the recipe the rest of conexor calls; :mod:`.aead`,
:mod:`.kdf` and :mod:`.signing` (Ed25519, used for audit checkpoints) are the
only modules that touch ``cryptography.hazmat``. Nobody outside this package
picks a nonce, a salt or an iteration count.
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
from conexor.crypto.signing import (
    PRIVATE_KEY_SIZE,
    PUBLIC_KEY_SIZE,
    SIGNATURE_SIZE,
    generate_private_key,
    is_valid_signature,
    private_key_from_pem,
    private_key_to_pem,
    public_key,
    public_key_from_pem,
    public_key_to_pem,
    sign,
)

__all__ = [
    "DEFAULT_ITERATIONS",
    "MAX_ITERATIONS",
    "MIN_ITERATIONS",
    "PRIVATE_KEY_SIZE",
    "PUBLIC_KEY_SIZE",
    "SIGNATURE_SIZE",
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
    "generate_private_key",
    "is_valid_signature",
    "make_verifier",
    "parse_api_key",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key",
    "public_key_from_pem",
    "public_key_to_pem",
    "remove_wrap",
    "seal",
    "sign",
    "unseal",
    "unseal_with_kek",
    "verify_key",
]
