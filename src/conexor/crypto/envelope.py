"""The credential envelope, version 1: the recipe everyone else calls.

A random 256-bit data key (DEK) encrypts the plaintext with AES-256-GCM. The
DEK is wrapped once per authorised API key under a key-encryption key (KEK)
derived from the full API key text with PBKDF2-HMAC-SHA256. Associated data
binds the ciphertext to the organisation, database, revision and purpose, and
each wrap additionally to its key id and KDF parameters. Callers pass the
:class:`AadContext` built from their own records; nothing here trusts the
envelope to say where it belongs.

``docs/envelope.md`` specifies the format byte by byte; the browser
implementation follows the same text and the same vector file.

Nonces, salts and the DEK are drawn here and only here. Each public function
that draws randomness has a deterministic private twin taking it as arguments.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NoReturn

import rfc8785

from conexor.crypto import aead, kdf
from conexor.crypto.apikeys import KEY_ID_LENGTH, ApiKey
from conexor.crypto.encoding import b64url_decode, b64url_encode, is_base62
from conexor.crypto.errors import CryptoError, DecryptionFailed, MalformedEnvelope

__all__ = [
    "AadContext",
    "Envelope",
    "Kek",
    "Wrap",
    "add_wrap",
    "derive_kek",
    "remove_wrap",
    "seal",
    "unseal",
    "unseal_with_kek",
]

VERSION = 1
ALG = "A256GCM"
KDF_NAME = "pbkdf2-sha256"
DEK_SIZE = 32
WRAPPED_DEK_SIZE = DEK_SIZE + aead.TAG_SIZE
MAX_PLAINTEXT = 16 * 1024
"""Largest plaintext :func:`seal` accepts, in bytes."""
MAX_ENVELOPE_BYTES = 64 * 1024
"""Largest envelope JSON :meth:`Envelope.from_json` reads, in UTF-8 bytes."""
MAX_WRAPS = 64
"""Most API keys one envelope can be wrapped for."""
MAX_ITER_FIELD = 2**31 - 1
"""Largest ``iter`` the parser accepts; :mod:`.kdf` enforces the real bounds."""
MAX_SAFE_INTEGER = 2**53 - 1
"""Largest revision: the largest integer that survives a JSON round trip in a browser."""
MAX_CONTEXT_TEXT = 256
"""Longest org id, database id or purpose, in characters."""
DEFAULT_PURPOSE = "connection-url"

_ENVELOPE_FIELDS = frozenset({"v", "alg", "nonce", "ct", "wraps"})
_WRAP_FIELDS = frozenset({"kid", "kdf", "iter", "salt", "nonce", "wdek"})


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _malformed(what: str) -> NoReturn:
    # Messages name the field, never its value.
    raise MalformedEnvelope(f"the encrypted credential is malformed ({what})")


@dataclass(frozen=True)
class AadContext:
    """Where an envelope belongs, rebuilt by the server from its own row keys.

    Any difference — another org, database, revision or purpose — makes
    decryption fail, so a store writer cannot move ciphertexts between rows.
    """

    org_id: str
    database_id: str
    revision: int
    purpose: str = DEFAULT_PURPOSE

    def __post_init__(self) -> None:
        for text in (self.org_id, self.database_id, self.purpose):
            if not isinstance(text, str) or not 0 < len(text) <= MAX_CONTEXT_TEXT:
                raise CryptoError("the encryption context is invalid")
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise CryptoError("the encryption context is invalid") from None
        if not _is_int(self.revision) or not 0 <= self.revision <= MAX_SAFE_INTEGER:
            raise CryptoError("the encryption context is invalid")


@dataclass(frozen=True)
class Wrap:
    """The DEK encrypted for one API key, with the parameters of its KEK."""

    key_id: str
    iterations: int
    salt: bytes
    nonce: bytes
    wrapped_dek: bytes

    def __post_init__(self) -> None:
        if (
            not isinstance(self.key_id, str)
            or len(self.key_id) != KEY_ID_LENGTH
            or not is_base62(self.key_id)
        ):
            _malformed("wrap key id")
        if not _is_int(self.iterations) or not 1 <= self.iterations <= MAX_ITER_FIELD:
            _malformed("wrap iteration count")
        if not isinstance(self.salt, bytes) or len(self.salt) != kdf.SALT_SIZE:
            _malformed("wrap salt")
        if not isinstance(self.nonce, bytes) or len(self.nonce) != aead.NONCE_SIZE:
            _malformed("wrap nonce")
        if not isinstance(self.wrapped_dek, bytes) or len(self.wrapped_dek) != WRAPPED_DEK_SIZE:
            _malformed("wrapped data key")


@dataclass(frozen=True)
class Envelope:
    """A sealed credential: one ciphertext and one wrap per authorised key."""

    nonce: bytes
    ciphertext: bytes
    """AES-256-GCM output: encrypted plaintext followed by the 16-byte tag."""
    wraps: tuple[Wrap, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.nonce, bytes) or len(self.nonce) != aead.NONCE_SIZE:
            _malformed("nonce")
        if not isinstance(self.ciphertext, bytes) or not (
            aead.TAG_SIZE <= len(self.ciphertext) <= MAX_PLAINTEXT + aead.TAG_SIZE
        ):
            _malformed("ciphertext")
        if not isinstance(self.wraps, tuple) or not 1 <= len(self.wraps) <= MAX_WRAPS:
            _malformed("wraps")
        if not all(isinstance(w, Wrap) for w in self.wraps):
            _malformed("wraps")
        if len({w.key_id for w in self.wraps}) != len(self.wraps):
            _malformed("duplicate wrap key id")

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of the API keys this envelope is wrapped for, in order."""
        return tuple(w.key_id for w in self.wraps)

    def wrap_for(self, key_id: str) -> Wrap | None:
        """Return the wrap for ``key_id``, or ``None`` if there is none."""
        for wrap in self.wraps:
            if wrap.key_id == key_id:
                return wrap
        return None

    def to_json(self) -> str:
        """Serialise as compact JSON with a fixed member order (ASCII only)."""
        document = {
            "v": VERSION,
            "alg": ALG,
            "nonce": b64url_encode(self.nonce),
            "ct": b64url_encode(self.ciphertext),
            "wraps": [
                {
                    "kid": w.key_id,
                    "kdf": KDF_NAME,
                    "iter": w.iterations,
                    "salt": b64url_encode(w.salt),
                    "nonce": b64url_encode(w.nonce),
                    "wdek": b64url_encode(w.wrapped_dek),
                }
                for w in self.wraps
            ],
        }
        return json.dumps(document, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> Envelope:
        """Parse untrusted envelope JSON; raise only :class:`MalformedEnvelope`.

        Members may come in any order, but unknown, missing or duplicate
        members, an unknown version, algorithm or KDF, wrong JSON types,
        non-canonical base64url, wrong byte lengths, duplicate key ids, no
        wraps, more than 64 wraps, and input over 64 KiB are all rejected.
        The iteration count is range-checked only loosely here; opening the
        envelope enforces the KDF bounds and raises ``WeakKdfParams``.
        """
        return _parse(text)


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for name, value in pairs:
        if name in result:
            _malformed("duplicate member")
        result[name] = value
    return result


def _reject_constant(name: str) -> NoReturn:
    _malformed("non-finite number")


def _decode_text(text: object) -> str:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_ENVELOPE_BYTES:
            _malformed("too large")
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError:
            _malformed("not UTF-8")
    if isinstance(text, str):
        if len(text) > MAX_ENVELOPE_BYTES:
            _malformed("too large")
        if len(text.encode("utf-8", errors="surrogatepass")) > MAX_ENVELOPE_BYTES:
            _malformed("too large")
        return text
    _malformed("not text")


def _field_bytes(document: dict[str, object], name: str, what: str) -> bytes:
    value = document[name]
    if not isinstance(value, str):
        _malformed(what)
    try:
        return b64url_decode(value)
    except ValueError:
        _malformed(what)


def _parse_wrap(item: object) -> Wrap:
    if not isinstance(item, dict) or item.keys() != _WRAP_FIELDS:
        _malformed("wrap members")
    if item["kdf"] != KDF_NAME:
        _malformed("unsupported key derivation")
    kid, iterations = item["kid"], item["iter"]
    if not isinstance(kid, str):
        _malformed("wrap key id")
    if not isinstance(iterations, int) or isinstance(iterations, bool):
        _malformed("wrap iteration count")
    return Wrap(
        key_id=kid,
        iterations=iterations,
        salt=_field_bytes(item, "salt", "wrap salt"),
        nonce=_field_bytes(item, "nonce", "wrap nonce"),
        wrapped_dek=_field_bytes(item, "wdek", "wrapped data key"),
    )


def _parse(text: object) -> Envelope:
    # (1) Size and encoding, before any parsing work.
    source = _decode_text(text)
    # (2) JSON, strictly: no duplicate members, no NaN or Infinity.
    try:
        document = json.loads(
            source, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except (ValueError, RecursionError):
        _malformed("not JSON")
    # (3) Version first, so a future format gets the clearest refusal.
    if not isinstance(document, dict):
        _malformed("not an object")
    version = document.get("v")
    if not _is_int(version) or version != VERSION:
        _malformed("unsupported version")
    if document.keys() != _ENVELOPE_FIELDS:
        _malformed("envelope members")
    if document["alg"] != ALG:
        _malformed("unsupported algorithm")
    # (4) Byte fields and wraps; the dataclasses check lengths and uniqueness.
    wraps = document["wraps"]
    if not isinstance(wraps, list) or not 1 <= len(wraps) <= MAX_WRAPS:
        _malformed("wraps")
    return Envelope(
        nonce=_field_bytes(document, "nonce", "nonce"),
        ciphertext=_field_bytes(document, "ct", "ciphertext"),
        wraps=tuple(_parse_wrap(item) for item in wraps),
    )


@dataclass(frozen=True, eq=False)
class Kek:
    """A key-encryption key derived for one wrap, so the slow KDF can be cached.

    Opaque: the key bytes are left out of the repr. It opens only the wrap
    whose key id, salt and iteration count it was derived for.
    """

    key_id: str
    salt: bytes
    iterations: int
    key: bytes = field(repr=False)


def _content_aad(ctx: AadContext) -> bytes:
    """RFC 8785 canonical JSON binding the ciphertext to its row."""
    return rfc8785.dumps(
        {
            "v": VERSION,
            "part": "content",
            "org": ctx.org_id,
            "db": ctx.database_id,
            "rev": ctx.revision,
            "purpose": ctx.purpose,
        }
    )


def _wrap_aad(ctx: AadContext, key_id: str, iterations: int, salt: bytes) -> bytes:
    """RFC 8785 canonical JSON binding a wrap to its row, key and KDF parameters."""
    return rfc8785.dumps(
        {
            "v": VERSION,
            "part": "wrap",
            "org": ctx.org_id,
            "db": ctx.database_id,
            "rev": ctx.revision,
            "purpose": ctx.purpose,
            "kid": key_id,
            "kdf": KDF_NAME,
            "iter": iterations,
            "salt": b64url_encode(salt),
        }
    )


def _password(key: ApiKey) -> bytes:
    return key.text.encode("ascii")


def _wrap_dek(
    dek: bytes, key: ApiKey, ctx: AadContext, *, salt: bytes, nonce: bytes, iterations: int
) -> Wrap:
    kek = kdf.derive_kek(_password(key), salt, iterations)
    wrapped = aead.encrypt(kek, nonce, dek, _wrap_aad(ctx, key.key_id, iterations, salt))
    return Wrap(
        key_id=key.key_id, iterations=iterations, salt=salt, nonce=nonce, wrapped_dek=wrapped
    )


def _seal(
    plaintext: bytes,
    keys: Sequence[ApiKey],
    ctx: AadContext,
    *,
    dek: bytes,
    nonce: bytes,
    salts: Sequence[bytes],
    wrap_nonces: Sequence[bytes],
    iterations: int,
) -> Envelope:
    """Deterministic twin of :func:`seal`: every random value is an argument."""
    if len(plaintext) > MAX_PLAINTEXT:
        raise CryptoError("the credential is too long to encrypt (limit 16 KiB)")
    if not 1 <= len(keys) <= MAX_WRAPS:
        raise CryptoError("a credential must be encrypted for 1 to 64 API keys")
    if len({k.key_id for k in keys}) != len(keys):
        raise CryptoError("the same API key id appears twice")
    if len(salts) != len(keys) or len(wrap_nonces) != len(keys):
        raise ValueError("one salt and one wrap nonce per key")
    if len(dek) != DEK_SIZE:
        raise ValueError("the data key must be 32 bytes")
    kdf.check_iterations(iterations)
    ciphertext = aead.encrypt(dek, nonce, plaintext, _content_aad(ctx))
    wraps = tuple(
        _wrap_dek(dek, key, ctx, salt=salt, nonce=wrap_nonce, iterations=iterations)
        for key, salt, wrap_nonce in zip(keys, salts, wrap_nonces, strict=True)
    )
    return Envelope(nonce=nonce, ciphertext=ciphertext, wraps=wraps)


def seal(
    plaintext: bytes,
    keys: Sequence[ApiKey],
    ctx: AadContext,
    *,
    iterations: int = kdf.DEFAULT_ITERATIONS,
) -> Envelope:
    """Encrypt ``plaintext`` (at most 16 KiB) so that each of ``keys`` can open it.

    Draws a fresh DEK, content nonce, and per-wrap salt and nonce on every
    call. Runs PBKDF2 once per key.
    """
    return _seal(
        plaintext,
        keys,
        ctx,
        dek=os.urandom(DEK_SIZE),
        nonce=os.urandom(aead.NONCE_SIZE),
        salts=[os.urandom(kdf.SALT_SIZE) for _ in keys],
        wrap_nonces=[os.urandom(aead.NONCE_SIZE) for _ in keys],
        iterations=iterations,
    )


def derive_kek(env: Envelope, key: ApiKey) -> Kek:
    """Run the slow KDF for ``key``'s wrap in ``env`` (cache the result).

    Raises :class:`DecryptionFailed` when the envelope has no wrap for the
    key, and :class:`WeakKdfParams` when the wrap's iteration count is out of
    bounds. A wrong key is only noticed when the KEK is used.
    """
    wrap = env.wrap_for(key.key_id)
    if wrap is None:
        raise DecryptionFailed()
    secret = kdf.derive_kek(_password(key), wrap.salt, wrap.iterations)
    return Kek(key_id=key.key_id, salt=wrap.salt, iterations=wrap.iterations, key=secret)


def _open_dek(env: Envelope, kek: Kek, ctx: AadContext) -> bytes:
    # (1) The wrap must be the one the KEK was derived for.
    wrap = env.wrap_for(kek.key_id)
    if wrap is None or wrap.salt != kek.salt or wrap.iterations != kek.iterations:
        raise DecryptionFailed()
    # (2) KDF bounds hold for stored wraps too.
    kdf.check_iterations(wrap.iterations)
    # (3) Unwrap under AAD rebuilt from the caller's context.
    aad = _wrap_aad(ctx, wrap.key_id, wrap.iterations, wrap.salt)
    return aead.decrypt(kek.key, wrap.nonce, wrap.wrapped_dek, aad)


def unseal_with_kek(env: Envelope, kek: Kek, ctx: AadContext) -> bytes:
    """Decrypt with a KEK from :func:`derive_kek`; raise :class:`DecryptionFailed`."""
    dek = _open_dek(env, kek, ctx)
    return aead.decrypt(dek, env.nonce, env.ciphertext, _content_aad(ctx))


def unseal(env: Envelope, key: ApiKey, ctx: AadContext) -> bytes:
    """Decrypt ``env`` with ``key`` for the row described by ``ctx``.

    Raises :class:`DecryptionFailed` for every failure (no wrap for the key,
    wrong key, tampering, wrong context) and :class:`WeakKdfParams` for a wrap
    whose iteration count is out of bounds.
    """
    return unseal_with_kek(env, derive_kek(env, key), ctx)


def _add_wrap(
    env: Envelope,
    holder: ApiKey,
    new_key: ApiKey,
    ctx: AadContext,
    *,
    salt: bytes,
    nonce: bytes,
    iterations: int,
) -> Envelope:
    """Deterministic twin of :func:`add_wrap`."""
    if env.wrap_for(new_key.key_id) is not None:
        raise CryptoError("this API key already has access to the credential")
    if len(env.wraps) >= MAX_WRAPS:
        raise CryptoError("a credential can be shared with at most 64 API keys")
    kdf.check_iterations(iterations)
    dek = _open_dek(env, derive_kek(env, holder), ctx)
    # Prove the DEK opens the content before handing it to another key.
    aead.decrypt(dek, env.nonce, env.ciphertext, _content_aad(ctx))
    wrap = _wrap_dek(dek, new_key, ctx, salt=salt, nonce=nonce, iterations=iterations)
    return Envelope(nonce=env.nonce, ciphertext=env.ciphertext, wraps=(*env.wraps, wrap))


def add_wrap(
    env: Envelope,
    holder: ApiKey,
    new_key: ApiKey,
    ctx: AadContext,
    *,
    iterations: int = kdf.DEFAULT_ITERATIONS,
) -> Envelope:
    """Share the credential with ``new_key``, using ``holder`` to open the DEK.

    The ciphertext and DEK are unchanged; only a wrap is added. Raises
    :class:`DecryptionFailed` if ``holder`` cannot open the envelope.
    """
    return _add_wrap(
        env,
        holder,
        new_key,
        ctx,
        salt=os.urandom(kdf.SALT_SIZE),
        nonce=os.urandom(aead.NONCE_SIZE),
        iterations=iterations,
    )


def remove_wrap(env: Envelope, key_id: str) -> Envelope:
    """Return ``env`` without the wrap for ``key_id``.

    Needs no key. Refuses to remove the last wrap, which would leave a
    credential nobody can open. Removing a wrap does not unsee a password the
    key already decrypted: rotate the database password too.
    """
    if env.wrap_for(key_id) is None:
        raise CryptoError("this API key has no access to the credential")
    if len(env.wraps) == 1:
        raise CryptoError("cannot remove the last API key from a credential")
    return Envelope(
        nonce=env.nonce,
        ciphertext=env.ciphertext,
        wraps=tuple(w for w in env.wraps if w.key_id != key_id),
    )
