"""Checkpoints and signed-note keys: exact format, Go reference vector, parsing, signatures."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from audit_factory import FORGER, ORIGIN, SIGNER, T0, checkpoint_of, make_trail
from hypothesis import given, settings
from hypothesis import strategies as st
from make_checkpoint_vectors import CHECKPOINT_FILE, build_checkpoints

from conexor.audit import (
    NO_PREVIOUS,
    AuditError,
    BadSignature,
    Checkpoint,
    MalformedCheckpoint,
    NoteSignature,
    SignerKey,
    checkpoint_due,
    checkpoint_hash,
    generate_signer,
    origin_for,
    parse_checkpoint,
    parse_signer,
    parse_verifier,
    sign_checkpoint,
    trail_root,
    verify_checkpoint,
)

VECTORS = Path(__file__).parents[1] / "vectors" / "audit" / "checkpoint"
CASES: dict[str, Any] = json.loads(CHECKPOINT_FILE.read_text(encoding="utf-8"))
GO: dict[str, Any] = json.loads((VECTORS / "go_signed_note.json").read_text(encoding="utf-8"))


def test_checkpoint_file_is_current() -> None:
    assert CHECKPOINT_FILE.read_text(encoding="utf-8") == (
        json.dumps(build_checkpoints(), indent=2, ensure_ascii=False) + "\n"
    )


def test_go_reference_note_byte_for_byte() -> None:
    """Our keys, key ids and signature lines are those of golang.org/x/mod/sumdb/note."""
    signer = parse_signer(GO["signer_key"])
    verifier = parse_verifier(GO["verifier_key"])
    assert signer.verifier() == verifier
    assert verifier.key_id.hex() == "c74f20a3"
    assert verifier.to_text() == GO["verifier_key"]
    assert signer.to_text() == GO["signer_key"]
    sig = NoteSignature(verifier.name, verifier.key_id, signer.sign(GO["text"].encode()))
    assert sig.to_line() == GO["peter_signature_line"]
    enoch = parse_verifier(GO["enoch_verifier_key"])
    assert enoch.key_id.hex() == "af0cfe78"
    for bad in GO["bad_verifier_keys"]:
        with pytest.raises(MalformedCheckpoint):
            parse_verifier(bad)


def test_go_verifier_key_manglings_are_refused() -> None:
    """As in TestNewVerifier: every substring and every single-byte change is refused."""
    vkey = GO["verifier_key"]
    for i in range(len(vkey)):
        for j in range(i + 1, len(vkey) + 1):
            if (i, j) != (0, len(vkey)):
                with pytest.raises(MalformedCheckpoint):
                    parse_verifier(vkey[i:j])
    for i in range(len(vkey)):
        mangled = vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1 :]
        with pytest.raises(MalformedCheckpoint):
            parse_verifier(mangled)


@pytest.mark.parametrize("case", CASES["valid"], ids=lambda c: c["id"])
def test_valid_checkpoints(case: dict[str, Any]) -> None:
    cp = parse_checkpoint(case["text"])
    verify_checkpoint(cp, parse_verifier(CASES["verifier_key"]))
    assert cp.size == case["size"]
    assert cp.root.hex() == case["root_hex"]
    assert checkpoint_hash(cp).hex() == case["checkpoint_hash_hex"]
    assert cp.to_text() == case["text"]


def test_checkpoints_chain_through_previous() -> None:
    first, second = (parse_checkpoint(c["text"]) for c in CASES["valid"])
    assert first.previous == NO_PREVIOUS
    assert second.previous == checkpoint_hash(first)


@pytest.mark.parametrize("case", CASES["invalid"], ids=lambda c: c["id"])
def test_invalid_checkpoints(case: dict[str, Any]) -> None:
    key = parse_verifier(CASES["verifier_key"])
    with pytest.raises(AuditError) as exc:
        verify_checkpoint(parse_checkpoint(case["text"]), key)
    assert exc.value.code == case["error"]


def test_format_byte_by_byte() -> None:
    trail = make_trail(3)
    cp = checkpoint_of(trail, 3)
    text = cp.to_text()
    lines = text.split("\n")
    assert lines[0] == ORIGIN
    assert lines[1] == "3"
    assert lines[2].endswith("=") and len(lines[2]) == 44
    assert lines[3] == "time 2026-11-29T10:11:32.250000Z"
    assert lines[4] == "previous " + "A" * 43 + "="
    assert lines[5] == ""
    assert lines[6].startswith("\u2014 conexor.test/audit ")
    assert lines[7] == ""
    assert len(lines) == 8
    assert cp.body() == "\n".join(lines[:5]) + "\n"


def test_verify_names_the_key_and_size() -> None:
    trail = make_trail(4)
    cp = checkpoint_of(trail, 4, key=FORGER)
    with pytest.raises(BadSignature) as exc:
        verify_checkpoint(cp, SIGNER.verifier())
    assert exc.value.code == "audit_bad_signature"
    assert exc.value.public == "checkpoint of size 4 is not signed by key conexor.test/audit"
    good = checkpoint_of(trail, 4)
    altered = Checkpoint(
        origin=good.origin, size=3, root=good.root, time=good.time, signatures=good.signatures
    )
    with pytest.raises(BadSignature) as exc:
        verify_checkpoint(altered, SIGNER.verifier())
    assert exc.value.public == (
        "checkpoint of size 3 has an invalid signature by key conexor.test/audit"
    )
    other = generate_signer("elsewhere/audit")
    with pytest.raises(BadSignature, match="not signed by key elsewhere/audit"):
        verify_checkpoint(cp, other.verifier())


def test_cosignatures_are_ignored_but_kept() -> None:
    trail = make_trail(2)
    cp = checkpoint_of(trail, 2)
    witness = generate_signer("witness.example")
    cosig = NoteSignature(
        "witness.example", witness.verifier().key_id, witness.sign(cp.body().encode())
    )
    both = Checkpoint(
        origin=cp.origin,
        size=cp.size,
        root=cp.root,
        time=cp.time,
        previous=cp.previous,
        signatures=(cosig, *cp.signatures),
    )
    parsed = parse_checkpoint(both.to_text())
    verify_checkpoint(parsed, SIGNER.verifier())
    verify_checkpoint(parsed, witness.verifier())
    assert checkpoint_hash(parsed) == checkpoint_hash(cp)


def test_signer_key_text_pem_and_repr() -> None:
    text = SIGNER.to_text()
    assert text.startswith("PRIVATE+KEY+conexor.test/audit+")
    assert parse_signer(text) == SIGNER
    assert SignerKey.from_pem("conexor.test/audit", SIGNER.to_pem()) == SIGNER
    assert parse_verifier(SIGNER.verifier().to_text()) == SIGNER.verifier()
    assert SIGNER.verifier().to_pem().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert SIGNER.private_key.hex() not in repr(SIGNER)
    assert "***" in repr(SIGNER)
    with pytest.raises(MalformedCheckpoint):
        SignerKey.from_pem("x", b"garbage")


@pytest.mark.parametrize("name", ["", "has space", "a+b", "tab\there", "caf\u00e9"])
def test_key_names_are_checked(name: str) -> None:
    with pytest.raises(MalformedCheckpoint):
        generate_signer(name)


@pytest.mark.parametrize(
    "bad",
    [
        "PRIVATE+KEY+n+00000000+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF",
        "PUBLIC+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_signer_keys(bad: str) -> None:
    with pytest.raises(MalformedCheckpoint):
        parse_signer(bad)


def test_origin_for() -> None:
    assert origin_for("org_7Qx2") == "conexor.io/audit/org_7Qx2"
    assert origin_for("o1", prefix="audit.example.com/") == "audit.example.com/o1"
    with pytest.raises(MalformedCheckpoint):
        origin_for("bad\norg")


def test_sign_validates_fields() -> None:
    root = trail_root(make_trail(1))
    with pytest.raises(MalformedCheckpoint):
        sign_checkpoint(SIGNER, origin=ORIGIN, size=-1, root=root, time=T0)
    with pytest.raises(MalformedCheckpoint):
        sign_checkpoint(SIGNER, origin=ORIGIN, size=1, root=root[:31], time=T0)
    with pytest.raises(MalformedCheckpoint):
        sign_checkpoint(SIGNER, origin=ORIGIN, size=1, root=root, time=T0.replace(tzinfo=None))
    with pytest.raises(MalformedCheckpoint):
        sign_checkpoint(SIGNER, origin=" padded", size=1, root=root, time=T0)


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=400))
def test_parse_raises_only_malformed_checkpoint(text: str) -> None:
    with contextlib.suppress(MalformedCheckpoint):
        parse_checkpoint(text)


@settings(max_examples=200, deadline=None, database=None)
@given(st.data())
def test_any_edit_of_a_signed_checkpoint_fails(data: st.DataObject) -> None:
    text = CASES["valid"][1]["text"]
    i = data.draw(st.integers(0, len(text) - 1))
    ch = data.draw(st.characters(codec="utf-8").filter(lambda c: c != text[i]))
    mangled = text[:i] + ch + text[i + 1 :]
    with pytest.raises((MalformedCheckpoint, BadSignature)):
        verify_checkpoint(parse_checkpoint(mangled), parse_verifier(CASES["verifier_key"]))


def test_checkpoint_due() -> None:
    trail = make_trail(10)
    last = checkpoint_of(trail, 10)  # issued at T0 + 1h
    now = last.time
    kw: dict[str, Any] = {"every_records": 100, "every_seconds": 60, "heartbeat_seconds": 3600}
    assert checkpoint_due(None, size=0, now=now, **kw)
    assert not checkpoint_due(last, size=10, now=now + timedelta(seconds=59), **kw)
    assert not checkpoint_due(last, size=11, now=now + timedelta(seconds=59), **kw)
    assert checkpoint_due(last, size=11, now=now + timedelta(seconds=60), **kw)
    assert checkpoint_due(last, size=110, now=now, **kw)
    assert not checkpoint_due(last, size=10, now=now + timedelta(seconds=3599), **kw)
    assert checkpoint_due(last, size=10, now=now + timedelta(seconds=3600), **kw)
