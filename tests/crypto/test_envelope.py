"""seal / unseal, sharing and revocation, and the strict envelope parser."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conexor.crypto
from conexor.crypto import (
    MIN_ITERATIONS,
    AadContext,
    CryptoError,
    DecryptionFailed,
    Envelope,
    MalformedEnvelope,
    WeakKdfParams,
    Wrap,
    add_wrap,
    derive_kek,
    remove_wrap,
    seal,
    unseal,
    unseal_with_kek,
)
from conexor.crypto.envelope import MAX_PLAINTEXT, _add_wrap
from conexor.errors import ConexorError

from .conftest import ALICE, BOB, CAROL, CTX, PLAINTEXT


def _doc(env: Envelope) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(env.to_json())
    return result


# -- seal and unseal ---------------------------------------------------------


def test_every_key_opens_the_envelope(sealed_two: Envelope) -> None:
    assert unseal(sealed_two, ALICE, CTX) == PLAINTEXT
    assert unseal(sealed_two, BOB, CTX) == PLAINTEXT
    assert sealed_two.key_ids == (ALICE.key_id, BOB.key_id)


def test_json_round_trip(sealed_two: Envelope) -> None:
    text = sealed_two.to_json()
    assert text.isascii()
    assert " " not in text
    assert list(json.loads(text)) == ["v", "alg", "nonce", "ct", "wraps"]
    assert Envelope.from_json(text) == sealed_two
    assert Envelope.from_json(text.encode()) == sealed_two
    assert Envelope.from_json(text).to_json() == text


def test_the_envelope_never_contains_the_plaintext_or_key(sealed_two: Envelope) -> None:
    shown = sealed_two.to_json() + repr(sealed_two)
    assert b"canary" not in shown.encode()
    assert "canary" not in shown
    assert ALICE.text not in shown


def test_each_seal_draws_fresh_randomness() -> None:
    a = seal(PLAINTEXT, [ALICE], CTX)
    b = seal(PLAINTEXT, [ALICE], CTX)
    assert a.nonce != b.nonce
    assert a.ciphertext != b.ciphertext
    assert a.wraps[0].salt != b.wraps[0].salt
    assert a.wraps[0].iterations == MIN_ITERATIONS
    # A wrap from one seal cannot open the other: each has its own DEK.
    mixed = Envelope(nonce=a.nonce, ciphertext=a.ciphertext, wraps=b.wraps)
    with pytest.raises(DecryptionFailed):
        unseal(mixed, ALICE, CTX)


def test_largest_plaintext_and_one_byte_more() -> None:
    big = b"x" * MAX_PLAINTEXT
    env = seal(big, [ALICE], CTX)
    assert Envelope.from_json(env.to_json()) == env
    with pytest.raises(CryptoError):
        seal(big + b"x", [ALICE], CTX)


@pytest.mark.parametrize("iterations", [1, MIN_ITERATIONS - 1, 5_000_001, True])
def test_seal_refuses_out_of_bounds_iterations(iterations: int) -> None:
    with pytest.raises(WeakKdfParams) as info:
        seal(PLAINTEXT, [ALICE], CTX, iterations=iterations)
    assert info.value.code == "kdf_params_rejected"


def test_seal_refuses_bad_key_lists() -> None:
    with pytest.raises(CryptoError):
        seal(PLAINTEXT, [], CTX)
    with pytest.raises(CryptoError):
        seal(PLAINTEXT, [ALICE, ALICE], CTX)


@pytest.mark.parametrize(
    "field", [{"org_id": "org_x"}, {"database_id": "db_x"}, {"revision": 4}, {"purpose": "x"}]
)
def test_any_context_change_fails_opaquely(sealed_two: Envelope, field: dict[str, Any]) -> None:
    ctx = AadContext(**{**CTX.__dict__, **field})
    with pytest.raises(DecryptionFailed) as info:
        unseal(sealed_two, ALICE, ctx)
    error = info.value
    assert error.code == "decryption_failed"
    assert error.public == "the stored credential could not be decrypted with this API key"
    assert str(error) == error.public
    for shown in (str(error), repr(error), error.public):
        assert ALICE.text not in shown
        assert "canary" not in shown
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


def test_context_is_validated() -> None:
    for bad in (
        {"org_id": ""},
        {"database_id": "x" * 257},
        {"revision": -1},
        {"revision": 2**53},
        {"revision": True},
        {"purpose": "\ud800"},
    ):
        with pytest.raises(CryptoError):
            AadContext(**{**CTX.__dict__, **bad})


def test_lowered_iterations_are_refused_not_derived(sealed_two: Envelope) -> None:
    doc = _doc(sealed_two)
    doc["wraps"][0]["iter"] = 1
    env = Envelope.from_json(json.dumps(doc))
    with pytest.raises(WeakKdfParams):
        unseal(env, ALICE, CTX)
    with pytest.raises(WeakKdfParams):
        derive_kek(env, ALICE)


# -- KEK reuse ---------------------------------------------------------------


def test_kek_opens_the_same_wrap_only(sealed_two: Envelope) -> None:
    kek = derive_kek(sealed_two, ALICE)
    assert unseal_with_kek(sealed_two, kek, CTX) == PLAINTEXT
    assert kek.key.hex() not in repr(kek)
    assert repr(kek.key) not in repr(kek)
    with pytest.raises(DecryptionFailed):
        unseal_with_kek(sealed_two, kek, AadContext("org_test", "db_test", 4))
    # The same key id in another envelope has another salt: the KEK does not apply.
    other = seal(PLAINTEXT, [ALICE], CTX)
    with pytest.raises(DecryptionFailed):
        unseal_with_kek(other, kek, CTX)


def test_derive_kek_without_a_wrap_fails(sealed_two: Envelope) -> None:
    with pytest.raises(DecryptionFailed):
        derive_kek(sealed_two, CAROL)


# -- sharing and revocation --------------------------------------------------


def test_add_wrap_shares_without_reencrypting(sealed_two: Envelope) -> None:
    shared = add_wrap(sealed_two, BOB, CAROL, CTX)
    assert shared.ciphertext == sealed_two.ciphertext
    assert shared.nonce == sealed_two.nonce
    assert shared.key_ids == (ALICE.key_id, BOB.key_id, CAROL.key_id)
    assert unseal(shared, CAROL, CTX) == PLAINTEXT


def test_add_wrap_refusals(sealed_two: Envelope) -> None:
    with pytest.raises(CryptoError):
        add_wrap(sealed_two, ALICE, BOB, CTX)
    with pytest.raises(DecryptionFailed):
        add_wrap(sealed_two, CAROL, CAROL, CTX)
    with pytest.raises(WeakKdfParams):
        _add_wrap(sealed_two, ALICE, CAROL, CTX, salt=bytes(16), nonce=bytes(12), iterations=10)


def test_add_wrap_needs_the_right_context(sealed_two: Envelope) -> None:
    with pytest.raises(DecryptionFailed):
        add_wrap(sealed_two, ALICE, CAROL, AadContext("org_test", "db_other", 3))


def test_remove_wrap_revokes(sealed_two: Envelope) -> None:
    revoked = remove_wrap(sealed_two, ALICE.key_id)
    assert revoked.key_ids == (BOB.key_id,)
    with pytest.raises(DecryptionFailed):
        unseal(revoked, ALICE, CTX)
    with pytest.raises(CryptoError):
        remove_wrap(revoked, BOB.key_id)
    with pytest.raises(CryptoError):
        remove_wrap(revoked, CAROL.key_id)


# -- strict parsing ----------------------------------------------------------


def _fake_wrap(kid: str) -> dict[str, Any]:
    return {
        "kid": kid,
        "kdf": "pbkdf2-sha256",
        "iter": 600000,
        "salt": "A" * 22,
        "nonce": "A" * 16,
        "wdek": "A" * 64,
    }


def _fake_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "v": 1,
        "alg": "A256GCM",
        "nonce": "A" * 16,
        "ct": "A" * 22,
        "wraps": [_fake_wrap("A" * 12)],
    }
    doc.update(overrides)
    return doc


def test_fake_document_is_well_formed() -> None:
    assert len(Envelope.from_json(json.dumps(_fake_doc())).wraps) == 1


@pytest.mark.parametrize(
    "text",
    [
        '{"v":1,"v":1,"alg":"A256GCM","nonce":"AAAAAAAAAAAAAAAA","ct":"AAAAAAAAAAAAAAAAAAAAAA",'
        '"wraps":[]}',
        json.dumps(_fake_doc(v=1.0)),
        json.dumps(_fake_doc(v=True)),
        json.dumps(_fake_doc(wraps=[{**_fake_wrap("A" * 12), "iter": 600000.0}])),
        json.dumps(_fake_doc(wraps=[{**_fake_wrap("A" * 12), "iter": True}])),
        json.dumps(_fake_doc(wraps=[{**_fake_wrap("A" * 12), "iter": 0}])),
        json.dumps(_fake_doc(wraps=[{**_fake_wrap("A" * 12), "iter": 2**31}])),
        json.dumps(_fake_doc(wraps=[{**_fake_wrap("A" * 12), "iter": 0}])).replace(
            '"iter": 0', '"iter": ' + "9" * 5000
        ),
        json.dumps(_fake_doc(wraps=[_fake_wrap(f"A{i:011d}") for i in range(65)])),
        json.dumps(_fake_doc(wraps={"0": _fake_wrap("A" * 12)})),
        json.dumps(_fake_doc(wraps=["x"])),
        json.dumps(_fake_doc(ct="A" * 21900)),
        json.dumps(_fake_doc(nonce=None)),
        json.dumps(_fake_doc(nonce="AAAA AAAAAAAAAAA")),
        json.dumps(_fake_doc(wraps=[{**_fake_wrap("A" * 12), "kid": 12}])),
        '{"v":1,"alg":"A256GCM","nonce":NaN}',
        '{"v":Infinity}',
        "[" * 100_000,
        "1" * 10_000,
        "",
        "null",
        '"text"',
        "\ufeff" + json.dumps(_fake_doc()),
        json.dumps(_fake_doc()) + " " * (64 * 1024),
        "\ud800",
    ],
)
def test_malformed_text_is_rejected(text: str) -> None:
    with pytest.raises(MalformedEnvelope) as info:
        Envelope.from_json(text)
    assert info.value.code == "envelope_malformed"


@pytest.mark.parametrize(
    "data", [b"\xff\xfe", b"x" * (64 * 1024 + 1), json.dumps(_fake_doc()).encode("utf-16")]
)
def test_malformed_bytes_are_rejected(data: bytes) -> None:
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(data)


def test_non_text_is_rejected() -> None:
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(123)  # type: ignore[arg-type]


def test_constructors_validate() -> None:
    with pytest.raises(MalformedEnvelope):
        Wrap(key_id="A" * 12, iterations=600000, salt=b"x", nonce=bytes(12), wrapped_dek=bytes(48))
    wrap = Wrap(
        key_id="A" * 12, iterations=1, salt=bytes(16), nonce=bytes(12), wrapped_dek=bytes(48)
    )
    with pytest.raises(MalformedEnvelope):
        Envelope(nonce=bytes(12), ciphertext=bytes(16), wraps=(wrap, wrap))
    with pytest.raises(MalformedEnvelope):
        Envelope(nonce=bytes(12), ciphertext=bytes(16), wraps=[wrap])  # type: ignore[arg-type]
    with pytest.raises(MalformedEnvelope):
        Envelope(nonce=bytes(12), ciphertext=bytes(16), wraps=())


def test_parser_messages_name_fields_not_values() -> None:
    doc = _fake_doc(nonce="secretValue_9")
    with pytest.raises(MalformedEnvelope) as info:
        Envelope.from_json(json.dumps(doc))
    assert "secretValue" not in str(info.value)
    assert "nonce" in info.value.public


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FAKE_TEXT = json.dumps(_fake_doc())
PATHS: list[tuple[Any, ...]] = [
    ("v",),
    ("alg",),
    ("nonce",),
    ("ct",),
    ("wraps",),
    ("wraps", 0),
    *[("wraps", 0, name) for name in ("kid", "kdf", "iter", "salt", "nonce", "wdek")],
]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_malformed(text: str) -> None:
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_malformed(data: bytes) -> None:
    with pytest.raises(MalformedEnvelope):
        Envelope.from_json(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), json_values | st.just("<delete>"))
def test_mutated_documents_raise_only_malformed(path: tuple[Any, ...], value: Any) -> None:
    doc = json.loads(FAKE_TEXT)
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value == "<delete>":
        del target[path[-1]]
    else:
        target[path[-1]] = value
    try:
        env = Envelope.from_json(json.dumps(doc))
    except MalformedEnvelope:
        return
    # A mutation that still parses must describe a well-formed envelope.
    assert Envelope.from_json(env.to_json()) == env


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(FAKE_TEXT) - 1), st.characters())
def test_character_mutations_raise_only_malformed(index: int, char: str) -> None:
    text = FAKE_TEXT[:index] + char + FAKE_TEXT[index + 1 :]
    try:
        env = Envelope.from_json(text)
    except MalformedEnvelope:
        return
    assert Envelope.from_json(env.to_json()) == env


# -- package shape -----------------------------------------------------------


def test_error_tree_and_codes() -> None:
    expected = {
        CryptoError: "crypto_error",
        DecryptionFailed: "decryption_failed",
        MalformedEnvelope: "envelope_malformed",
        WeakKdfParams: "kdf_params_rejected",
        conexor.crypto.MalformedApiKey: "invalid_api_key",
    }
    for cls, code in expected.items():
        assert issubclass(cls, ConexorError)
        assert issubclass(cls, CryptoError)
        assert cls.code == code
    assert MalformedEnvelope().public == "the encrypted credential is malformed"


def test_public_names_are_exported() -> None:
    for name in conexor.crypto.__all__:
        assert hasattr(conexor.crypto, name)


def test_only_primitive_modules_import_hazmat() -> None:
    package = Path(conexor.crypto.__file__).parent
    importers = set()
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.startswith("cryptography") for name in names):
                importers.add(source.name)
    assert importers <= {"aead.py", "kdf.py", "signing.py"}
