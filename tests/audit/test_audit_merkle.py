"""RFC 6962 Merkle tree: published vectors (transparency-dev/merkle) and properties."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conexor.audit import InvalidProof
from conexor.audit import merkle as m

VECTORS = Path(__file__).parents[1] / "vectors" / "audit" / "merkle"
REF = json.loads((VECTORS / "rfc6962_reference.json").read_text(encoding="utf-8"))
LEAVES = [bytes.fromhex(x) for x in REF["leaves_hex"]]
ROOTS = [bytes.fromhex(x) for x in REF["roots_hex"]]
TD_FILES = sorted((VECTORS / "transparency-dev").glob("*/*.json"))


def _h(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in items]


def test_empty_root_is_sha256_of_nothing() -> None:
    assert m.root([]) == m.EMPTY_ROOT == ROOTS[0]


@pytest.mark.parametrize("size", range(9))
def test_reference_roots(size: int) -> None:
    assert m.root(LEAVES[:size]) == ROOTS[size]


def test_reference_node_hashes_and_compact_ranges() -> None:
    levels = [_h(level) for level in REF["node_hashes_hex"]]
    assert [m.leaf_hash(x) for x in LEAVES] == levels[0]
    for level in range(1, len(levels)):
        below = levels[level - 1]
        pairs = [m.node_hash(below[2 * i], below[2 * i + 1]) for i in range(len(below) // 2)]
        assert pairs == levels[level]
    # The compact range of size n holds the perfect subtrees of n's set bits.
    cr = m.CompactRange()
    for n, leaf in enumerate(LEAVES, start=1):
        cr.append(leaf)
        expected = []
        start = 0
        for bit in reversed(range(4)):
            if n & (1 << bit):
                expected.append(levels[bit][start >> bit])
                start += 1 << bit
        assert cr.hashes == tuple(expected)
        assert cr.size == n


@pytest.mark.parametrize("case", REF["inclusion"], ids=lambda c: f"{c['index']}of{c['size']}")
def test_reference_inclusion_proofs(case: dict[str, Any]) -> None:
    proof = m.inclusion_proof(LEAVES[: case["size"]], case["index"])
    assert proof == _h(case["proof_hex"])
    m.verify_inclusion(
        LEAVES[case["index"]], case["index"], case["size"], proof, ROOTS[case["size"]]
    )


@pytest.mark.parametrize(
    "case", REF["consistency"], ids=lambda c: f"{c['old_size']}to{c['new_size']}"
)
def test_reference_consistency_proofs(case: dict[str, Any]) -> None:
    old, new = case["old_size"], case["new_size"]
    proof = m.consistency_proof(LEAVES[:new], old)
    assert proof == _h(case["proof_hex"])
    m.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize("path", TD_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_transparency_dev_vectors(path: Path) -> None:
    v = json.loads(path.read_text(encoding="utf-8"))
    d = base64.b64decode
    proof = [d(x) for x in v["proof"] or []]
    if path.parent.name == "inclusion":

        def check() -> None:
            m.verify_inclusion_hash(
                d(v["leafHash"]), v["leafIdx"], v["treeSize"], proof, d(v["root"])
            )

    else:

        def check() -> None:
            m.verify_consistency(v["size1"], v["size2"], d(v["root1"]), d(v["root2"]), proof)

    if v["wantErr"]:
        with pytest.raises(InvalidProof):
            check()
    else:
        check()


def test_transparency_dev_provenance_lists_every_file() -> None:
    prov = json.loads((VECTORS / "transparency-dev" / "provenance.json").read_text())
    listed = {f["file"] for f in prov["files"]}
    assert listed == {f"{p.parent.name}/{p.name}" for p in TD_FILES}
    assert all(len(f["commit"]) == 40 for f in prov["files"])


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "ok"),
    [
        (0, 0, b"a" * 32, b"b" * 32, [], False),
        (1, 1, b"a" * 32, b"b" * 32, [], False),
        (0, 0, b"a" * 32, b"a" * 32, [], True),
        (0, 1, b"a" * 32, b"b" * 32, [], True),
        (1, 1, b"b" * 32, b"b" * 32, [], True),
        (1, 0, b"a" * 32, b"b" * 32, [], False),
        (2, 1, b"a" * 32, b"b" * 32, [], False),
        (1, 2, b"a" * 32, b"b" * 32, [], False),
        (0, 0, m.EMPTY_ROOT, m.EMPTY_ROOT, [m.EMPTY_ROOT], False),
        (0, 1, m.EMPTY_ROOT, m.EMPTY_ROOT, [m.EMPTY_ROOT], False),
        (1, 1, m.EMPTY_ROOT, m.EMPTY_ROOT, [m.EMPTY_ROOT], False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], ok: bool
) -> None:
    """The edge cases of transparency-dev/merkle's TestVerifyConsistency."""
    if ok:
        m.verify_consistency(old, new, old_root, new_root, proof)
    else:
        with pytest.raises(InvalidProof):
            m.verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (5, 5)])
def test_inclusion_outside_the_tree(index: int, size: int) -> None:
    with pytest.raises(InvalidProof):
        m.verify_inclusion_hash(b"x" * 32, index, size, [], b"y" * 32)


def test_malformed_hashes_are_invalid_proofs() -> None:
    root = m.root(LEAVES[:2])
    proof = m.inclusion_proof(LEAVES[:2], 0)
    for bad in ([b"short"], [*proof, b""], [*proof, root[:31]]):
        with pytest.raises(InvalidProof):
            m.verify_inclusion(LEAVES[0], 0, 2, bad, root)
    with pytest.raises(InvalidProof):
        m.verify_inclusion(LEAVES[0], 0, 2, proof, root[:31])


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
def test_proofs_roundtrip_and_reject_tampering(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    root = m.root(leaves)
    i = data.draw(st.integers(0, n - 1))
    proof = m.inclusion_proof(leaves, i)
    m.verify_inclusion(leaves[i], i, n, proof, root)
    old = data.draw(st.integers(0, n))
    cproof = m.consistency_proof(leaves, old)
    m.verify_consistency(old, n, m.root(leaves[:old]), root, cproof)
    # Any flipped bit in any proof hash is caught.
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        with pytest.raises(InvalidProof):
            m.verify_inclusion(leaves[i], i, n, bad, root)
    if cproof:
        j = data.draw(st.integers(0, len(cproof) - 1))
        bad = list(cproof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        with pytest.raises(InvalidProof):
            m.verify_consistency(old, n, m.root(leaves[:old]), root, bad)
    # A different leaf is not included.
    with pytest.raises(InvalidProof):
        m.verify_inclusion(bytes(32) if leaves[i] != bytes(32) else b"\x01" * 32, i, n, proof, root)


def test_compact_range_resumes_from_saved_state() -> None:
    leaves = [bytes([i]) * 32 for i in range(23)]
    cr = m.CompactRange()
    for leaf in leaves[:13]:
        cr.append(leaf)
    saved = m.CompactRange(cr.size, cr.hashes)
    for leaf in leaves[13:]:
        saved.append(leaf)
    assert saved.root() == m.root(leaves)
    with pytest.raises(ValueError, match="set bit"):
        m.CompactRange(13, cr.hashes[:1])


def test_root_streams_without_holding_leaves() -> None:
    def gen() -> Any:
        for i in range(5000):
            yield i.to_bytes(32, "big")

    assert m.root(gen()) == m.root(list(gen()))


@settings(max_examples=200, deadline=None)
@given(
    before=st.integers(0, 70),
    batches=st.lists(st.integers(0, 40), max_size=5),
)
def test_extend_is_append_in_batches(before: int, batches: list[int]) -> None:
    """Adding leaves a subtree at a time gives the state of adding them one by one."""
    leaves = [i.to_bytes(32, "big") for i in range(before + sum(batches))]
    one_by_one = m.CompactRange()
    for leaf in leaves:
        one_by_one.append(leaf)
    batched = m.CompactRange()
    for leaf in leaves[:before]:
        batched.append(leaf)
    done = before
    for n in batches:
        batched.extend(leaves[done : done + n])
        done += n
        assert batched.size == done
        assert batched.root() == m.root(leaves[:done])
    assert (batched.size, batched.hashes) == (one_by_one.size, one_by_one.hashes)
