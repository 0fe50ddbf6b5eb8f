"""Signed-note keys: the audit signing key and the verifier key customers pin.

The text forms follow the signed-note conventions (C2SP signed-note, Go's
``golang.org/x/mod/sumdb/note``) so that standard tooling reads them::

    verifier key:  <name>+<key id, 8 hex>+<base64(0x01 || 32-byte public key)>
    signer key:    PRIVATE+KEY+<name>+<key id, 8 hex>+<base64(0x01 || 32-byte seed)>

    key id = first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)

0x01 is the signed-note algorithm byte for Ed25519. The key id travels in
every signature line, so a verifier can tell its key's signature apart from a
cosigner's. Parsing raises only :class:`MalformedCheckpoint`. The signer key's
repr never shows the seed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from conexor.audit.errors import MalformedCheckpoint
from conexor.crypto import signing

__all__ = [
    "ALG_ED25519",
    "SignerKey",
    "VerifierKey",
    "generate_signer",
    "key_id",
    "parse_signer",
    "parse_verifier",
]

ALG_ED25519 = 0x01
# A key name is printable, has no whitespace and no "+" (it is a field separator).
_NAME = re.compile(r"[!-*,-~]+")
_HEX8 = re.compile(r"[0-9a-f]{8}")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or _NAME.fullmatch(name) is None or len(name) > 256:
        raise MalformedCheckpoint("key name must be printable ASCII without spaces or '+'")
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte signed-note key id of an Ed25519 key called ``name``."""
    data = name.encode("ascii") + b"\n" + bytes([ALG_ED25519]) + public_key
    return hashlib.sha256(data).digest()[:4]


def _b64decode(text: str, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise MalformedCheckpoint(f"{what} is not base64") from None
    if base64.b64encode(data).decode("ascii") != text:
        raise MalformedCheckpoint(f"{what} is not canonical base64")
    return data


@dataclass(frozen=True)
class VerifierKey:
    """A named Ed25519 public key: what customers pin and what verify uses."""

    name: str
    public_key: bytes

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.public_key, bytes) or len(self.public_key) != 32:
            raise MalformedCheckpoint("verifier public key must be 32 bytes")

    @property
    def key_id(self) -> bytes:
        """The 4-byte key id in this key's signature lines."""
        return key_id(self.name, self.public_key)

    def to_text(self) -> str:
        """``name+keyid+base64(0x01||public key)``, the form served at the well-known path."""
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def to_pem(self) -> bytes:
        """The public key as SubjectPublicKeyInfo PEM (the name is not part of PEM)."""
        return signing.public_key_to_pem(self.public_key)


@dataclass(frozen=True)
class SignerKey:
    """A named Ed25519 private key. Keep it off the store's host; see docs/audit.md."""

    name: str
    private_key: bytes = field(repr=False)

    def __post_init__(self) -> None:
        _check_name(self.name)
        if not isinstance(self.private_key, bytes) or len(self.private_key) != 32:
            raise MalformedCheckpoint("signer private key must be 32 bytes")

    def __repr__(self) -> str:
        return f"SignerKey(name={self.name!r}, private_key='***')"

    def verifier(self) -> VerifierKey:
        """The matching public key."""
        return VerifierKey(self.name, signing.public_key(self.private_key))

    def sign(self, message: bytes) -> bytes:
        """Ed25519 signature of ``message``."""
        return signing.sign(self.private_key, message)

    def to_text(self) -> str:
        """``PRIVATE+KEY+name+keyid+base64(0x01||seed)``: secret, store with mode 0600."""
        blob = base64.b64encode(bytes([ALG_ED25519]) + self.private_key).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.verifier().key_id.hex()}+{blob}"

    def to_pem(self) -> bytes:
        """The private key as unencrypted PKCS#8 PEM (the name is not part of PEM)."""
        return signing.private_key_to_pem(self.private_key)

    @classmethod
    def from_pem(cls, name: str, pem: bytes) -> SignerKey:
        """Load a PKCS#8 PEM Ed25519 key under ``name``."""
        try:
            return cls(name, signing.private_key_from_pem(pem))
        except ValueError:
            raise MalformedCheckpoint("the signing key is not an Ed25519 PKCS#8 PEM key") from None


def generate_signer(name: str) -> SignerKey:
    """A fresh random signing key called ``name`` (e.g. ``conexor.example.com/audit``)."""
    return SignerKey(_check_name(name), signing.generate_private_key())


def _split_key(parts: list[str], what: str) -> tuple[str, bytes]:
    name, hex_id, blob = parts
    _check_name(name)
    if _HEX8.fullmatch(hex_id) is None:
        raise MalformedCheckpoint(f"{what} key id must be 8 lowercase hex digits")
    data = _b64decode(blob, f"{what} key")
    if len(data) != 33 or data[0] != ALG_ED25519:
        raise MalformedCheckpoint(f"{what} key is not an Ed25519 key")
    return name, data[1:]


def parse_verifier(text: str) -> VerifierKey:
    """Parse ``name+keyid+base64``; the key id must match the key."""
    if not isinstance(text, str):
        raise MalformedCheckpoint("verifier key must be text")
    # The base64 key may itself contain "+", so split off only the two fields before it.
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise MalformedCheckpoint("verifier key must be name+keyid+key")
    name, key = _split_key(parts, "verifier")
    vk = VerifierKey(name, key)
    if vk.key_id.hex() != parts[1]:
        raise MalformedCheckpoint("verifier key id does not match the key")
    return vk


def parse_signer(text: str) -> SignerKey:
    """Parse ``PRIVATE+KEY+name+keyid+base64``; the key id must match the key."""
    if not isinstance(text, str):
        raise MalformedCheckpoint("signer key must be text")
    parts = text.strip().split("+", 4)
    if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
        raise MalformedCheckpoint("signer key must be PRIVATE+KEY+name+keyid+key")
    name, seed = _split_key(parts[2:], "signer")
    sk = SignerKey(name, seed)
    if sk.verifier().key_id.hex() != parts[3]:
        raise MalformedCheckpoint("signer key id does not match the key")
    return sk
