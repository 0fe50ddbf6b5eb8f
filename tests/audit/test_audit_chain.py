"""Sealing and verifying: round trip, the numbered verify steps, and random tampering."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from datetime import UTC, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from audit_factory import make_draft, make_trail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conexor.audit import (
    DOMAIN,
    GENESIS,
    AuditRecord,
    ChainBroken,
    MalformedRecord,
    head,
    record_hash,
    seal,
    verify,
)
from conexor.errors import ConexorError


def test_round_trip_verifies() -> None:
    trail = make_trail(7)
    assert [r.seq for r in trail] == list(range(1, 8))
    assert trail[0].prev_hash == GENESIS
    for a, b in itertools.pairwise(trail):
        assert b.prev_hash == a.record_hash
    assert verify(trail) is None
    assert verify(iter(trail)) is None
    assert head(trail) == (7, trail[-1].record_hash)


def test_empty_trail() -> None:
    assert verify([]) is None
    assert head([]) == (0, GENESIS)
    assert head([], start_seq=5, start_prev="ab" * 32) == (4, "ab" * 32)


def test_verify_from_a_trusted_point() -> None:
    trail = make_trail(6)
    seq, prev = head(trail[:3])
    verify(trail[3:], start_seq=seq + 1, start_prev=prev)
    with pytest.raises(ChainBroken) as exc:
        verify(trail[3:])
    assert (exc.value.seq, exc.value.step) == (1, "seq")


def test_hash_is_domain_prev_and_canonical_json() -> None:
    rec = make_trail(1)[0]
    expected = hashlib.sha256(
        DOMAIN + bytes.fromhex(rec.prev_hash) + rfc8785.dumps(rec.body())
    ).hexdigest()
    assert rec.record_hash == expected
    assert "record_hash" not in rec.body()
    assert rec.body()["ts"] == "2026-11-29T09:11:32.250000Z"


def test_seal_does_not_depend_on_draft_timezone() -> None:
    draft = make_draft(0)
    shifted = dataclasses.replace(draft, ts=draft.ts.astimezone(timezone(timedelta(hours=5))))
    assert shifted.ts.tzinfo is UTC
    assert seal(draft, seq=1, prev_hash=GENESIS) == seal(shifted, seq=1, prev_hash=GENESIS)


def test_chain_broken_is_a_conexor_error() -> None:
    exc = ChainBroken(41, "prev_hash")
    assert isinstance(exc, ConexorError)
    assert exc.code == "audit_chain_broken"
    assert exc.public == "audit trail broken at record 41 (prev_hash)"


@pytest.mark.parametrize("prev", ["", "0" * 63, "G" * 64, "A" * 64, "0" * 66])
def test_record_hash_rejects_bad_prev(prev: str) -> None:
    with pytest.raises(MalformedRecord):
        record_hash(prev, {})


def test_seal_validates_seq_and_prev() -> None:
    with pytest.raises(MalformedRecord):
        seal(make_draft(0), seq=0, prev_hash=GENESIS)
    with pytest.raises(MalformedRecord):
        seal(make_draft(0), seq=1, prev_hash="x" * 64)


# ---- hypothesis: any single well-formed mutation is detected at the right place ----

_MUTABLE = [f.name for f in dataclasses.fields(AuditRecord)]


def _other_str(old: str | None, draw: Any, *, optional: bool) -> str | None:
    choices = st.text(min_size=1, max_size=12).filter(lambda s: s != old)
    if optional and old is not None:
        choices = st.one_of(st.none(), choices)
    return draw(choices)  # type: ignore[no-any-return]


def _hex(draw: Any, old: str | None) -> str:
    return draw(  # type: ignore[no-any-return]
        st.text("0123456789abcdef", min_size=64, max_size=64).filter(lambda s: s != old)
    )


def _mutate(rec: AuditRecord, name: str, draw: Any) -> AuditRecord:
    old = getattr(rec, name)
    new: Any
    if name == "ts":
        new = old + timedelta(microseconds=draw(st.integers(1, 10**9)))
    elif name in ("org_id", "user_id", "user", "tool"):
        new = _other_str(old, draw, optional=False)
    elif name in ("api_key_id", "client_name", "client_version", "model", "database", "error_code"):
        new = _other_str(old, draw, optional=True)
    elif name == "params":
        new = dict(old)
        key = draw(st.text(max_size=6))
        new[key] = draw(st.one_of(st.integers(-(2**53) + 1, 2**53 - 1), st.text(), st.none()))
        if new == old:
            new[key + "x"] = 1
    elif name == "mode":
        new = draw(st.sampled_from([m for m in ("cloud", "agent", None) if m != old]))
    elif name == "outcome":
        new = draw(st.sampled_from([m for m in ("ok", "rejected", "error") if m != old]))
    elif name in ("row_count", "duration_us", "seq"):
        new = draw(st.integers(1 if name == "seq" else 0, 2**53 - 1).filter(lambda v: v != old))
    elif name in ("query_hash", "prev_hash", "record_hash"):
        new = _hex(draw, old)
    else:  # pragma: no cover - a new field needs a mutation here
        raise AssertionError(name)
    return dataclasses.replace(rec, **{name: new})


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data(), n=st.integers(1, 6))
def test_any_single_field_mutation_is_detected(data: st.DataObject, n: int) -> None:
    trail = make_trail(n)
    i = data.draw(st.integers(0, n - 1), label="record")
    name = data.draw(st.sampled_from(_MUTABLE), label="field")
    tampered = list(trail)
    tampered[i] = _mutate(trail[i], name, data.draw)
    with pytest.raises(ChainBroken) as exc:
        verify(tampered)
    expected_step = {"seq": "seq", "prev_hash": "prev_hash"}.get(name, "record_hash")
    assert (exc.value.seq, exc.value.step) == (i + 1, expected_step)
