"""The envelope v1 vector file: Python must reproduce it exactly.

The browser implementation reads the same file; see tests/vectors/README.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from conexor.crypto import (
    AadContext,
    CryptoError,
    DecryptionFailed,
    Envelope,
    MalformedEnvelope,
    WeakKdfParams,
    parse_api_key,
    unseal,
)
from conexor.crypto.encoding import b64url_decode
from conexor.crypto.envelope import _content_aad, _seal, _wrap_aad

VECTORS_DIR = Path(__file__).resolve().parents[1] / "vectors"
VECTOR_FILE = VECTORS_DIR / "envelope-v1.json"
VECTORS: dict[str, Any] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))
ERRORS: dict[str, type[CryptoError]] = {
    "decryption_failed": DecryptionFailed,
    "envelope_malformed": MalformedEnvelope,
    "kdf_params_rejected": WeakKdfParams,
}


def _ids(section: str) -> list[str]:
    return [case["id"] for case in VECTORS[section]]


def _ctx(case: dict[str, Any]) -> AadContext:
    c = case["ctx"]
    return AadContext(c["org_id"], c["database_id"], c["revision"], c["purpose"])


def test_file_shape() -> None:
    assert set(VECTORS) >= {"seal", "unseal", "invalid"}
    all_ids = [case["id"] for section in ("seal", "unseal", "invalid") for case in VECTORS[section]]
    assert len(all_ids) == len(set(all_ids))
    for section, result in (("seal", "valid"), ("unseal", "valid"), ("invalid", "invalid")):
        for case in VECTORS[section]:
            assert case["result"] == result
            assert case["comment"]


def test_required_invalid_cases_are_present() -> None:
    required = {
        "tampered-ciphertext",
        "tampered-tag",
        "wrong-key-no-wrap",
        "wrong-key-same-key-id",
        "wrong-org",
        "wrong-database",
        "wrong-revision",
        "wrong-purpose",
        "lowered-iterations",
        "swapped-wrap-key-ids",
        "unknown-version",
        "base64-with-padding",
        "truncated-nonce",
    }
    assert required <= set(_ids("invalid"))


@pytest.mark.parametrize("case", VECTORS["seal"], ids=_ids("seal"))
def test_seal(case: dict[str, Any]) -> None:
    keys = [parse_api_key(text) for text in case["keys"]]
    ctx = _ctx(case)
    env = _seal(
        bytes.fromhex(case["plaintext_hex"]),
        keys,
        ctx,
        dek=bytes.fromhex(case["dek_hex"]),
        nonce=bytes.fromhex(case["nonce_hex"]),
        salts=[bytes.fromhex(s) for s in case["salts_hex"]],
        wrap_nonces=[bytes.fromhex(n) for n in case["wrap_nonces_hex"]],
        iterations=case["iterations"],
    )
    assert env.to_json() == case["envelope"]
    middle = case["intermediate"]
    assert _content_aad(ctx).hex() == middle["content_aad_hex"]
    assert middle["content_aad"].encode("utf-8").hex() == middle["content_aad_hex"]
    for i, key in enumerate(keys):
        salt = bytes.fromhex(case["salts_hex"][i])
        wrap_aad = _wrap_aad(ctx, key.key_id, case["iterations"], salt)
        assert wrap_aad.hex() == middle["wrap_aads_hex"][i]
        assert middle["wrap_aads"][i].encode("utf-8").hex() == middle["wrap_aads_hex"][i]


@pytest.mark.parametrize("case", VECTORS["seal"], ids=_ids("seal"))
def test_seal_vectors_agree_with_an_independent_computation(case: dict[str, Any]) -> None:
    """Recompute each step with hashlib and AESGCM directly, not through conexor."""
    doc = json.loads(case["envelope"])
    middle = case["intermediate"]
    dek = bytes.fromhex(case["dek_hex"])
    content = AESGCM(dek).decrypt(
        b64url_decode(doc["nonce"]),
        b64url_decode(doc["ct"]),
        bytes.fromhex(middle["content_aad_hex"]),
    )
    assert content.hex() == case["plaintext_hex"]
    for i, text in enumerate(case["keys"]):
        kek = hashlib.pbkdf2_hmac(
            "sha256", text.encode("ascii"), bytes.fromhex(case["salts_hex"][i]), case["iterations"]
        )
        assert kek.hex() == middle["keks_hex"][i]
        wrap = doc["wraps"][i]
        unwrapped = AESGCM(kek).decrypt(
            b64url_decode(wrap["nonce"]),
            b64url_decode(wrap["wdek"]),
            bytes.fromhex(middle["wrap_aads_hex"][i]),
        )
        assert unwrapped == dek


@pytest.mark.parametrize("case", VECTORS["unseal"], ids=_ids("unseal"))
def test_unseal(case: dict[str, Any]) -> None:
    env = Envelope.from_json(case["envelope"])
    plaintext = unseal(env, parse_api_key(case["key"]), _ctx(case))
    assert plaintext.hex() == case["plaintext_hex"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=_ids("invalid"))
def test_invalid(case: dict[str, Any]) -> None:
    expected = ERRORS[case["error"]]
    key, ctx = parse_api_key(case["key"]), _ctx(case)
    with pytest.raises(CryptoError) as info:
        unseal(Envelope.from_json(case["envelope"]), key, ctx)
    assert type(info.value) is expected
    assert info.value.code == case["error"]


def _load_generator() -> ModuleType:
    path = VECTORS_DIR / "generate_envelope_v1.py"
    spec = importlib.util.spec_from_file_location("generate_envelope_v1", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_reproduces_the_file() -> None:
    generator = _load_generator()
    assert generator.render(generator.build()) == VECTOR_FILE.read_text(encoding="utf-8")


def test_the_spec_quotes_the_vectors() -> None:
    """docs/envelope.md shows a real envelope and AADs; they must stay true."""
    spec = (VECTORS_DIR.parents[1] / "docs" / "envelope.md").read_text(encoding="utf-8")
    case = next(c for c in VECTORS["seal"] if c["id"] == "seal-one-key")
    assert case["envelope"] in spec
    assert case["intermediate"]["content_aad"] in spec
    assert case["intermediate"]["wrap_aads"][0] in spec
    size = len(case["intermediate"]["content_aad"].encode("utf-8"))
    assert f"these {size} bytes" in spec
