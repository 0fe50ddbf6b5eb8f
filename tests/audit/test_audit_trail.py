"""verify_trail: the one-pass verifier, its report, progress, resumption and fast encoder."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import rfc8785
from audit_factory import ORIGIN, SIGNER, checkpoint_of, make_draft, make_trail
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conexor.audit import (
    GENESIS,
    CheckpointMismatch,
    CompactRange,
    inclusion_proof,
    record_leaf,
    seal,
    sign_checkpoint,
    trail_root,
    verify,
    verify_inclusion,
    verify_trail,
)
from conexor.audit import merkle as m
from conexor.audit.chain import body_encoder
from conexor.audit.trail import PROGRESS_EVERY


def test_report_of_an_intact_trail() -> None:
    trail = make_trail(7)
    cps = [checkpoint_of(trail, 2), checkpoint_of(trail, 7), checkpoint_of(trail, 2, seconds=9)]
    report = verify_trail(trail, checkpoints=cps, public_key=SIGNER.verifier(), origin=ORIGIN)
    assert (report.first_seq, report.last_seq, report.count) == (1, 7, 7)
    assert report.head == trail[-1].record_hash
    assert report.root == trail_root(trail) == m.root(record_leaf(r) for r in trail)
    assert report.checkpoints == (2, 7)
    assert report.signatures_checked
    assert not verify_trail(trail, checkpoints=cps).signatures_checked


def test_empty_trail() -> None:
    report = verify_trail([])
    assert (report.count, report.head, report.root) == (0, GENESIS, m.EMPTY_ROOT)
    empty_cp = sign_checkpoint(
        SIGNER, origin=ORIGIN, size=0, root=m.EMPTY_ROOT, time=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert verify_trail([], checkpoints=[empty_cp]).checkpoints == (0,)


def test_progress_is_reported() -> None:
    calls: list[int] = []
    verify_trail(make_trail(5), progress=calls.append)
    assert calls == [5]
    assert PROGRESS_EVERY & (PROGRESS_EVERY - 1) == 0


def test_resume_from_a_trusted_point() -> None:
    trail = make_trail(12)
    cr = CompactRange()
    for rec in trail[:5]:
        cr.append(record_leaf(rec))
    cps = [checkpoint_of(trail, 5), checkpoint_of(trail, 9), checkpoint_of(trail, 2)]
    report = verify_trail(
        trail[5:],
        checkpoints=cps,
        public_key=SIGNER.verifier(),
        start_seq=6,
        start_prev=trail[4].record_hash,
        start_range=cr,
    )
    assert report.checkpoints == (5, 9)
    assert report.root == trail_root(trail)
    assert cr.size == 5  # the caller's range is not consumed
    with pytest.raises(ValueError, match="start_range"):
        verify_trail(trail[5:], checkpoints=cps, start_seq=6, start_prev=trail[4].record_hash)
    with pytest.raises(ValueError, match="start_range"):
        verify_trail(
            trail[5:], start_seq=6, start_prev=trail[4].record_hash, start_range=CompactRange()
        )
    # Without checkpoints no range is needed.
    verify_trail(trail[5:], start_seq=6, start_prev=trail[4].record_hash)


def test_checkpoints_of_another_log() -> None:
    trail = make_trail(3)
    other = sign_checkpoint(
        SIGNER,
        origin="conexor.test/audit/org_other",
        size=3,
        root=trail_root(trail),
        time=datetime(2026, 1, 1, tzinfo=UTC),
    )
    with pytest.raises(CheckpointMismatch) as exc:
        verify_trail(trail, checkpoints=[checkpoint_of(trail, 3), other])
    assert exc.value.damage == "wrong_log"
    with pytest.raises(CheckpointMismatch):
        verify_trail(trail, checkpoints=[other], origin=ORIGIN)


def test_inclusion_proof_of_one_record_against_a_checkpoint() -> None:
    trail = make_trail(11)
    cp = checkpoint_of(trail, 11)
    leaves = [record_leaf(r) for r in trail]
    proof = inclusion_proof(leaves, 6)
    verify_inclusion(record_leaf(trail[6]), 6, cp.size, proof, cp.root)


def test_chain_verify_names_damage_too() -> None:
    trail = make_trail(5)
    t = [trail[0], trail[2], trail[1], *trail[3:]]
    with pytest.raises(Exception, match=r"record 2 \(seq\): records swapped"):
        verify(t)


# ---- the fast canonical encoder is byte-identical to rfc8785 ----

_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_json: Any = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
    max_leaves=12,
)


@settings(
    max_examples=400, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    params=st.dictionaries(_text, _json, max_size=5),
    strings=st.lists(_text, min_size=9, max_size=9),
    nulls=st.lists(st.booleans(), min_size=6, max_size=6),
    micro=st.integers(0, 999_999),
    year=st.integers(1, 9999),
)
def test_fast_encoder_matches_rfc8785(
    params: dict[str, Any], strings: list[str], nulls: list[bool], micro: int, year: int
) -> None:
    draft = make_draft(2)
    opt = [None if n else s for n, s in zip(nulls, strings[:6], strict=True)]
    draft = dataclasses.replace(
        draft,
        ts=datetime(year, 2, 3, 4, 5, 6, micro, tzinfo=UTC),
        params=params,
        api_key_id=opt[0],
        client_name=opt[1],
        client_version=opt[2],
        model=opt[3],
        database=opt[4],
        error_code=opt[5],
        user=strings[6] or "u",
        user_id=strings[7] or "i",
        tool=strings[8] or "t",
    )
    rec = seal(draft, seq=3, prev_hash="ab" * 32)
    assert body_encoder()(rec) == rfc8785.dumps(rec.body())


def test_fast_encoder_utf16_key_order() -> None:
    """RFC 8785 sorts keys by UTF-16 code units: U+1F600 before U+FB01, unlike code points."""
    rec = seal(
        dataclasses.replace(make_draft(0), params={"\ufb01": 1, "\U0001f600": 2, "a": 3}),
        seq=1,
        prev_hash=GENESIS,
    )
    encoded = body_encoder()(rec)
    assert encoded == rfc8785.dumps(rec.body())
    assert encoded.index("\U0001f600".encode()) < encoded.index("\ufb01".encode())


def test_fast_encoder_zero_microseconds_and_offsets() -> None:
    ts = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC) + timedelta(hours=0)
    rec = seal(dataclasses.replace(make_draft(1), ts=ts), seq=1, prev_hash=GENESIS)
    assert b'"ts":"2026-01-01T12:00:00.000000Z"' in body_encoder()(rec)
