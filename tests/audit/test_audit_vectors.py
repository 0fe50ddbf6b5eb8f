"""The tamper vectors in tests/vectors/audit: each detected at the stated record and step."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from make_audit_vectors import VECTOR_DIR, build, render

from conexor.audit import ChainBroken, head, record_from_dict, verify

FILES = sorted(VECTOR_DIR.glob("*.json"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_vector_files_are_current() -> None:
    expected = build()
    assert sorted(p.stem for p in FILES) == sorted(expected)
    for path in FILES:
        assert path.read_text(encoding="utf-8") == render(expected[path.stem]), path.name


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_vector(path: Path) -> None:
    case = _load(path)
    assert case["id"] == path.stem
    assert case["comment"]
    if case["kind"] == "hash":
        body_jcs = rfc8785.dumps(case["body"])
        assert body_jcs.decode("utf-8") == case["body_jcs"]
        digest = hashlib.sha256(
            bytes.fromhex(case["domain_hex"]) + bytes.fromhex(case["prev_hash"]) + body_jcs
        ).hexdigest()
        assert digest == case["record_hash"]
        return
    trail = [record_from_dict(d) for d in case["trail"]]
    if case["result"] == "valid":
        verify(trail)
        assert list(head(trail)) == [case["head"]["seq"], case["head"]["record_hash"]]
    else:
        with pytest.raises(ChainBroken) as exc:
            verify(trail)
        assert exc.value.seq == case["broken_at"]["seq"]
        assert exc.value.step == case["broken_at"]["step"]
        assert exc.value.damage == case["broken_at"]["damage"]
        assert exc.value.first_bad == case["broken_at"]["first_bad"]


def test_undetectable_rewrites_change_the_head() -> None:
    """What the chain alone cannot see, a checkpoint of the intact head does."""
    intact = _load(VECTOR_DIR / "intact.json")["head"]
    for stem in ("rewritten_tail_relinked", "truncated_tail"):
        assert _load(VECTOR_DIR / f"{stem}.json")["head"] != intact
