"""Ed25519 primitive: RFC 8032 vectors, PEM round trips, refusal of malformed keys."""

from __future__ import annotations

import pytest

from conexor.crypto import signing

# RFC 8032 section 7.1, TEST 1 and TEST 2.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("sk", "pk", "msg", "sig"), RFC8032)
def test_rfc8032_vectors(sk: str, pk: str, msg: str, sig: str) -> None:
    private = bytes.fromhex(sk)
    assert signing.public_key(private).hex() == pk
    assert signing.sign(private, bytes.fromhex(msg)).hex() == sig
    assert signing.is_valid_signature(bytes.fromhex(pk), bytes.fromhex(msg), bytes.fromhex(sig))


def test_invalid_signatures_are_not_valid() -> None:
    _sk, pk, _, sig = RFC8032[1]
    pub, s = bytes.fromhex(pk), bytes.fromhex(sig)
    assert not signing.is_valid_signature(pub, b"\x73", s)
    assert not signing.is_valid_signature(pub, b"\x72", s[:-1] + bytes([s[-1] ^ 1]))
    assert not signing.is_valid_signature(pub, b"\x72", s[:63])
    assert not signing.is_valid_signature(bytes.fromhex(RFC8032[0][1]), b"\x72", s)
    assert not signing.is_valid_signature(b"\x00" * 31, b"\x72", s)


def test_generate_sign_verify() -> None:
    a, b = signing.generate_private_key(), signing.generate_private_key()
    assert len(a) == signing.PRIVATE_KEY_SIZE
    assert a != b
    sig = signing.sign(a, b"checkpoint")
    assert len(sig) == signing.SIGNATURE_SIZE
    assert signing.is_valid_signature(signing.public_key(a), b"checkpoint", sig)
    assert not signing.is_valid_signature(signing.public_key(b), b"checkpoint", sig)


def test_pem_round_trips() -> None:
    private = bytes.fromhex(RFC8032[0][0])
    pem = signing.private_key_to_pem(private)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert signing.private_key_from_pem(pem) == private
    pub_pem = signing.public_key_to_pem(signing.public_key(private))
    assert pub_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert signing.public_key_from_pem(pub_pem) == bytes.fromhex(RFC8032[0][1])


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"not a pem",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ],
)
def test_malformed_pem_raises_value_error(pem: bytes) -> None:
    with pytest.raises(ValueError, match="PEM"):
        signing.private_key_from_pem(pem)
    with pytest.raises(ValueError, match="PEM"):
        signing.public_key_from_pem(pem)


def test_non_ed25519_pem_is_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="Ed25519"):
        signing.private_key_from_pem(pem)
    pub = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(ValueError, match="Ed25519"):
        signing.public_key_from_pem(pub)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_wrong_key_sizes(bad: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        signing.public_key(bad)
    with pytest.raises(ValueError, match="32 bytes"):
        signing.sign(bad, b"m")
    with pytest.raises(ValueError, match="32 bytes"):
        signing.private_key_to_pem(bad)
