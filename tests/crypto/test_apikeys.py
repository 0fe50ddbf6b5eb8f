"""API key format, parsing, masking and the stored verifier."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conexor.crypto import (
    ApiKey,
    CryptoError,
    KeyVerifier,
    MalformedApiKey,
    generate_api_key,
    generate_pepper,
    make_verifier,
    parse_api_key,
    verify_key,
)
from conexor.crypto.apikeys import _make_api_key, _make_verifier
from conexor.crypto.encoding import BASE62_ALPHABET, base62_encode_int

from .conftest import ALICE, BOB

KEY_RE = re.compile(r"cnx_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}")
base62_text = st.text(alphabet=BASE62_ALPHABET, min_size=12, max_size=12)


def test_generated_key_has_the_documented_shape() -> None:
    key = generate_api_key()
    assert KEY_RE.fullmatch(key.text)
    assert len(key.text) == 66
    assert key.text[4:16] == key.key_id
    assert parse_api_key(key.text) == key


def test_generated_keys_differ() -> None:
    assert generate_api_key() != generate_api_key()


def test_checksum_is_crc32_of_the_body_in_base62() -> None:
    body, checksum = ALICE.text[:-6], ALICE.text[-6:]
    assert checksum == base62_encode_int(zlib.crc32(body.encode("ascii")), 6)


def test_zero_secret_is_left_padded() -> None:
    key = _make_api_key(key_id="A" * 12, secret=bytes(32))
    assert key.text[17:60] == "0" * 43
    assert parse_api_key(key.text) == key


def test_max_secret_fits_43_characters() -> None:
    key = _make_api_key(key_id="z" * 12, secret=b"\xff" * 32)
    assert parse_api_key(key.text) == key


def test_repr_and_str_mask_the_key() -> None:
    key = generate_api_key()
    for shown in (repr(key), str(key), f"{key}", repr([key])):
        assert key.text not in shown
        assert key.text[17:] not in shown
    assert repr(key) == f"ApiKey(key_id={key.key_id!r}, text='***')"


def _with_checksum(body: str) -> str:
    return body + base62_encode_int(zlib.crc32(body.encode("ascii")), 6)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "cnx_",
        " " + ALICE.text,
        ALICE.text + " ",
        ALICE.text + "\n",
        ALICE.text[:-1],
        ALICE.text + "0",
        "CNX_" + ALICE.text[4:],
        "cnk_" + ALICE.text[4:],
        ALICE.text[:16] + "-" + ALICE.text[17:],
        ALICE.text.replace("_", "-"),
        # Correct checksum, but a non-base62 character in the key id.
        _with_checksum("cnx_testAlice-01_" + ALICE.text[17:60]),
        # Correct checksum, but the secret spells a number above 2**256.
        _with_checksum("cnx_testAlice001_" + "z" * 43),
        # Full-width digits are not ASCII base62.
        ALICE.text[:20] + "\uff10" + ALICE.text[21:],
    ],
)
def test_malformed_keys_are_rejected(text: str) -> None:
    with pytest.raises(MalformedApiKey) as info:
        parse_api_key(text)
    assert info.value.code == "invalid_api_key"
    assert info.value.public == "invalid API key"


def test_non_string_is_rejected() -> None:
    with pytest.raises(MalformedApiKey):
        parse_api_key(None)  # type: ignore[arg-type]
    with pytest.raises(MalformedApiKey):
        parse_api_key(ALICE.text.encode())  # type: ignore[arg-type]


def test_every_single_character_typo_is_caught() -> None:
    text = ALICE.text
    for i in range(len(text)):
        for replacement in {"0", "a", "Z"} - {text[i]}:
            typo = text[:i] + replacement + text[i + 1 :]
            with pytest.raises(MalformedApiKey):
                parse_api_key(typo)


def test_adjacent_transpositions_are_caught() -> None:
    text = BOB.text
    for i in range(17, len(text) - 1):
        if text[i] != text[i + 1]:
            swapped = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
            with pytest.raises(MalformedApiKey):
                parse_api_key(swapped)


def test_apikey_constructor_validates() -> None:
    with pytest.raises(MalformedApiKey):
        ApiKey(key_id="testBob00002", text=ALICE.text)
    with pytest.raises(MalformedApiKey):
        ApiKey(key_id="testAlice001", text="cnx_testAlice001_nope")
    with pytest.raises(MalformedApiKey):
        _make_api_key(key_id="short", secret=bytes(32))
    with pytest.raises(MalformedApiKey):
        _make_api_key(key_id="A" * 12, secret=bytes(31))


def test_error_does_not_echo_the_text() -> None:
    bad = ALICE.text[:-1] + ("0" if ALICE.text[-1] != "0" else "1")
    with pytest.raises(MalformedApiKey) as info:
        parse_api_key(bad)
    assert bad[17:40] not in str(info.value)
    assert bad[17:40] not in repr(info.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_parse_arbitrary_text_raises_only_malformed(text: str) -> None:
    try:
        key = parse_api_key(text)
    except MalformedApiKey:
        return
    assert key.text == text


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=BASE62_ALPHABET + "_c", min_size=66, max_size=66))
def test_parse_key_shaped_text_raises_only_malformed(text: str) -> None:
    with contextlib.suppress(MalformedApiKey):
        parse_api_key("cnx_" + text[4:])


@settings(max_examples=200, deadline=None)
@given(base62_text, st.binary(min_size=32, max_size=32))
def test_generated_keys_parse_back(key_id: str, secret: bytes) -> None:
    key = _make_api_key(key_id=key_id, secret=secret)
    assert KEY_RE.fullmatch(key.text)
    assert parse_api_key(key.text) == key


def test_pepper_is_32_random_bytes() -> None:
    a, b = generate_pepper(), generate_pepper()
    assert len(a) == 32
    assert a != b


def test_verifier_accepts_only_the_right_key_and_pepper() -> None:
    pepper = generate_pepper()
    verifier = make_verifier(ALICE, pepper)
    assert len(verifier.salt) == 16
    assert len(verifier.digest) == 32
    assert verify_key(ALICE, verifier, pepper) is True
    assert verify_key(BOB, verifier, pepper) is False
    assert verify_key(ALICE, verifier, generate_pepper()) is False
    assert verify_key(ALICE, KeyVerifier(salt=bytes(16), digest=verifier.digest), pepper) is False
    assert verify_key(ALICE, KeyVerifier(salt=verifier.salt, digest=b""), pepper) is False


def test_verifier_is_salted() -> None:
    pepper = generate_pepper()
    assert make_verifier(ALICE, pepper).digest != make_verifier(ALICE, pepper).digest


def test_verifier_definition() -> None:
    pepper, salt = b"p" * 32, b"s" * 16
    expected = hmac.new(
        pepper, b"conexor/api-key-auth/v1\x00" + salt + ALICE.text.encode(), hashlib.sha256
    ).digest()
    assert _make_verifier(ALICE, pepper, salt=salt) == KeyVerifier(salt=salt, digest=expected)
    assert ALICE.text.encode() not in repr(_make_verifier(ALICE, pepper, salt=salt)).encode()


def test_verifier_rejects_short_pepper_and_bad_salt() -> None:
    with pytest.raises(CryptoError):
        make_verifier(ALICE, b"short")
    with pytest.raises(CryptoError):
        _make_verifier(ALICE, b"p" * 32, salt=b"x")
