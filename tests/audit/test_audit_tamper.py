"""Tamper cases against signed checkpoints: each detected with the right error and message.

The cases are the files in tests/vectors/audit/tamper (written by
make_checkpoint_vectors.py); the hypothesis tests below cover random trails.
"""

from __future__ import annotations

import dataclasses
import io
import json
import random
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from audit_factory import SIGNER, checkpoint_of, make_draft, make_trail, reseal
from hypothesis import given, settings
from hypothesis import strategies as st
from make_checkpoint_vectors import TAMPER_DIR, build_tamper

from conexor.audit import (
    AuditError,
    BadSignature,
    ChainBroken,
    CheckpointMismatch,
    normalize_params,
    parse_checkpoint,
    parse_verifier,
    read_jsonl,
    record_from_dict,
    seal,
    verify_trail,
    write_jsonl,
)

FILES = sorted(TAMPER_DIR.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_tamper_files_are_current() -> None:
    expected = build_tamper()
    assert sorted(p.stem for p in FILES) == sorted(expected)
    for path in FILES:
        text = json.dumps(expected[path.stem], indent=2, ensure_ascii=False) + "\n"
        assert path.read_text(encoding="utf-8") == text, path.name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_tamper_vector(path: Path) -> None:
    case = _load(path)
    assert case["id"] == path.stem
    assert case["comment"]
    trail = [record_from_dict(d) for d in case["trail"]]
    cps = [parse_checkpoint(t) for t in case["checkpoints"]]
    key = parse_verifier(case["verifier_key"])
    error = case["error"]
    if error is None:
        report = verify_trail(trail, checkpoints=cps, public_key=key)
        assert report.last_seq == len(trail)
        assert sorted({cp.size for cp in cps}) == list(report.checkpoints)
        return
    with pytest.raises(AuditError) as exc:
        verify_trail(trail, checkpoints=cps, public_key=key)
    assert exc.value.code == error["code"]
    if isinstance(exc.value, ChainBroken):
        got = (exc.value.seq, exc.value.step, exc.value.damage, exc.value.first_bad)
        assert got == (error["seq"], error["step"], error["damage"], error["first_bad"])
    elif isinstance(exc.value, CheckpointMismatch):
        got2 = (exc.value.damage, exc.value.size, exc.value.seq)
        assert got2 == (error["damage"], error["size"], error["seq"])


# The exact messages a user sees, one per kind of damage.
MESSAGES = {
    "modify_field": "audit trail broken at record 4 (record_hash): field modified",
    "delete_record": "audit trail broken at record 3 (seq): record deleted",
    "delete_and_renumber": "audit trail broken at record 3 (prev_hash): record deleted",
    "insert_forged": "audit trail broken at record 4 (prev_hash): record inserted at 3",
    "swap_records": "audit trail broken at record 2 (seq): records swapped",
    "modify_and_recompute": (
        "audit trail rewritten since the checkpoint of size 3: the Merkle root differs; "
        "the first changed record is between 1 and 3"
    ),
    "truncate_below_checkpoint": (
        "audit trail truncated: it ends at record 4 but a checkpoint covers 6 records; "
        "records 5 to 6 are missing"
    ),
    "restore_older_backup": (
        "audit trail truncated: it ends at record 2 but a checkpoint covers 6 records; "
        "records 3 to 6 are missing"
    ),
    "replace_whole_trail": (
        "audit trail rewritten since the checkpoint of size 3: the Merkle root differs; "
        "the first changed record is between 1 and 3"
    ),
    "split_view": (
        "split view: two checkpoints of size 6 have different roots; "
        "the log showed different histories to different readers"
    ),
    "forged_checkpoint": (
        "checkpoint of size 6 has an invalid signature by key conexor.test/audit"
    ),
    "checkpoint_by_other_key": "checkpoint of size 6 is not signed by key conexor.test/audit",
}


@pytest.mark.parametrize("stem", sorted(MESSAGES))
def test_tamper_messages(stem: str) -> None:
    case = _load(TAMPER_DIR / f"{stem}.json")
    with pytest.raises(AuditError) as exc:
        verify_trail(
            [record_from_dict(d) for d in case["trail"]],
            checkpoints=[parse_checkpoint(t) for t in case["checkpoints"]],
            public_key=parse_verifier(case["verifier_key"]),
        )
    assert exc.value.public == MESSAGES[stem]
    assert str(exc.value) == MESSAGES[stem]


def test_checkpoint_beyond_later_records_still_verifies() -> None:
    """A trail that grew after the checkpoint is consistent with it."""
    trail = make_trail(9)
    report = verify_trail(
        trail, checkpoints=[checkpoint_of(trail, 4)], public_key=SIGNER.verifier()
    )
    assert report.checkpoints == (4,)
    assert report.last_seq == 9


def test_rewrite_after_the_last_checkpoint_needs_a_newer_one() -> None:
    """Honest limit: records after the newest checkpoint are only chain-protected."""
    trail = make_trail(8)
    cps = [checkpoint_of(trail, 4)]
    rewritten = reseal([*trail[:6], dataclasses.replace(trail[6], row_count=0), trail[7]], 6)
    verify_trail(rewritten, checkpoints=cps, public_key=SIGNER.verifier())
    with pytest.raises(CheckpointMismatch) as exc:
        verify_trail(rewritten, checkpoints=[*cps, checkpoint_of(trail, 8)])
    assert (exc.value.damage, exc.value.seq) == ("trail_rewritten", 5)


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(4, 12), st.data())
def test_any_relinked_rewrite_is_caught_by_a_checkpoint(n: int, data: st.DataObject) -> None:
    trail = make_trail(n)
    size = data.draw(st.integers(1, n))
    i = data.draw(st.integers(0, size - 1))
    edited = list(trail)
    edited[i] = dataclasses.replace(trail[i], duration_us=trail[i].duration_us + 1)
    forged = reseal(edited, i)
    with pytest.raises(CheckpointMismatch) as exc:
        verify_trail(forged, checkpoints=[checkpoint_of(trail, size)], public_key=SIGNER.verifier())
    assert exc.value.damage == "trail_rewritten"
    assert exc.value.seq <= i + 1 <= exc.value.size


@settings(max_examples=60, deadline=None, database=None)
@given(st.integers(3, 10), st.data())
def test_random_delete_insert_swap_are_named(n: int, data: st.DataObject) -> None:
    trail = make_trail(n)
    kind = data.draw(st.sampled_from(["delete", "insert", "swap"]))
    i = data.draw(st.integers(1, n - 2))
    t = list(trail)
    if kind == "delete":
        del t[i]
        expected = ("record_deleted", i + 1)
    elif kind == "insert":
        t.insert(i, trail[i - 1])
        expected = ("record_inserted", i + 1)
    else:
        t[i], t[i + 1] = t[i + 1], t[i]
        expected = ("records_swapped", i + 1)
    with pytest.raises(ChainBroken) as exc:
        verify_trail(t)
    assert (exc.value.damage, exc.value.seq) == expected


def test_signatures_are_checked_before_the_pass() -> None:
    trail = make_trail(3)
    forged = checkpoint_of(trail, 3)
    bad = dataclasses.replace(forged, size=2, root=checkpoint_of(trail, 2).root)
    with pytest.raises(BadSignature):
        verify_trail(trail, checkpoints=[bad], public_key=SIGNER.verifier())


def test_honest_canonicalisation_does_not_break_verification() -> None:
    """Field order, whitespace and Unicode forms in the export do not matter; values do."""
    nfc = unicodedata.normalize("NFC", "Ana Mar\u00eda")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    trail = []
    for i, name in enumerate([nfc, nfd, "\U0001f600\ufb01", "tab\tand\nnewline \u2028"]):
        draft = dataclasses.replace(
            make_draft(i), params=normalize_params({"who": name, name: [name, {"k": name}]})
        )
        trail.append(seal(draft, seq=i + 1, prev_hash=trail[-1].record_hash if trail else "0" * 64))
    assert trail[0].record_hash != trail[1].record_hash
    out = io.StringIO()
    write_jsonl(trail, out)
    rng = random.Random(7)
    lines = []
    for line in out.getvalue().split("\n")[:-1]:
        obj = json.loads(line)
        keys = list(obj)
        rng.shuffle(keys)
        # Different key order, whitespace and ASCII escaping: same values.
        lines.append(
            json.dumps({k: obj[k] for k in keys}, indent=1, ensure_ascii=True).replace("\n", " ")
        )
    parsed = list(read_jsonl(lines))
    assert parsed == trail
    assert parsed[1].params["who"] == nfd  # stored as given, not normalised
    report = verify_trail(
        parsed, checkpoints=[checkpoint_of(trail, 4)], public_key=SIGNER.verifier()
    )
    assert report.checkpoints == (4,)
    # Normalising a stored NFD value to NFC is a modification, and is caught.
    normalised = dataclasses.replace(
        parsed[1], params=normalize_params({"who": nfc, nfd: [nfd, {"k": nfd}]})
    )
    with pytest.raises(ChainBroken) as exc:
        verify_trail([parsed[0], normalised, *parsed[2:]])
    assert (exc.value.seq, exc.value.damage) == (2, "field_modified")
