"""RFC 6962 Merkle tree hashing, inclusion and consistency proofs (pure, no I/O).

The audit trail's leaves are the records' hashes: leaf ``i`` (0-based) is the
32 raw bytes of record ``seq = i + 1``'s ``record_hash``. Because each record
hash already commits to the whole record (and to the previous one), hashing the
32 bytes is enough; the tree adds what a bare chain lacks: proofs that one
record is in a tree of a given size (inclusion, O(log n) hashes) and that a
larger tree extends a smaller one (consistency).

Hashing follows RFC 6962 section 2.1 (and RFC 9162 section 2.1)::

    MTH({})        = SHA-256()
    leaf_hash(d)   = SHA-256(0x00 || d)
    node_hash(l,r) = SHA-256(0x01 || l || r)
    MTH(D[n])      = node_hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of 2 < n

:class:`CompactRange` computes roots incrementally in O(n) hashing and
O(log n) memory, so a million-record trail never needs its leaves in memory.
Verification raises :class:`InvalidProof`; it never returns ``False``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

from conexor.audit.errors import InvalidProof

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "root_from_hashes",
    "verify_consistency",
    "verify_inclusion",
    "verify_inclusion_hash",
]

HASH_SIZE = 32
#: Root of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


def leaf_hash(leaf: bytes) -> bytes:
    """SHA-256(0x00 || leaf): the hash of one leaf's data."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return _sha256(b"\x01" + left + right).digest()


class CompactRange:
    """The roots of the perfect subtrees covering leaves ``[0, size)``.

    Appending a leaf hash merges equal-height subtrees, so memory is one hash
    per set bit of ``size`` and each append costs two node hashes on average.
    The state (``size`` and ``hashes``) can be saved and restored to continue
    from a trusted point without the earlier leaves.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if size < 0 or len(hashes) != size.bit_count():
            raise ValueError("a compact range holds one hash per set bit of its size")
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError("compact range hashes are 32 bytes")
        self._size = size
        self._hashes = list(hashes)

    @property
    def size(self) -> int:
        """Number of leaves covered."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Subtree roots, largest (leftmost) first."""
        return tuple(self._hashes)

    def append_hash(self, leaf_digest: bytes) -> None:
        """Add one leaf given its :func:`leaf_hash`."""
        hashes = self._hashes
        h = leaf_digest
        size = self._size
        # Each trailing 1-bit of size is a complete subtree of the new leaf's height.
        while size & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            size >>= 1
        hashes.append(h)
        self._size += 1

    def append(self, leaf: bytes) -> None:
        """Add one leaf given its data."""
        self.append_hash(_sha256(b"\x00" + leaf).digest())

    def extend(self, leaves: Sequence[bytes]) -> None:
        """Add many leaves given their data: the same state as :meth:`append` for each.

        The same hashes are computed, a whole level of a subtree at a time
        instead of one leaf at a time, which saves most of the interpreter's
        work per leaf when a verifier appends a million of them.
        """
        level = [_sha256(b"\x00" + leaf).digest() for leaf in leaves]
        done, total = 0, len(level)
        while done < total:
            # The largest perfect subtree that starts at this size (aligned to
            # its own width) and fits in what is left.
            width = 1 << ((total - done).bit_length() - 1)
            size = self._size
            if size:
                width = min(width, size & -size)
            self._append_subtree(_perfect_root(level[done : done + width]), width.bit_length() - 1)
            done += width

    def _append_subtree(self, subtree_root: bytes, height: int) -> None:
        # Like append_hash, one level up per height: the size is a multiple of
        # 2**height, so every subtree kept here is at least that tall.
        hashes = self._hashes
        h = subtree_root
        units = self._size >> height
        while units & 1:
            h = _sha256(b"\x01" + hashes.pop() + h).digest()
            units >>= 1
        hashes.append(h)
        self._size += 1 << height

    def root(self) -> bytes:
        """MTH of the leaves so far (RFC 6962), folding the subtrees right to left."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        h = hashes[-1]
        for left in reversed(hashes[:-1]):
            h = _sha256(b"\x01" + left + h).digest()
        return h

    def copy(self) -> CompactRange:
        """An independent copy of this state."""
        return CompactRange(self._size, self._hashes)


def _perfect_root(level: list[bytes]) -> bytes:
    """MTH of a power-of-two number of leaf hashes, one level of the tree at a time."""
    while len(level) > 1:
        pairs = zip(level[0::2], level[1::2], strict=True)
        level = [_sha256(b"\x01" + left + right).digest() for left, right in pairs]
    return level[0]


def root(leaves: Iterable[bytes]) -> bytes:
    """MTH over leaf data (e.g. record hashes), in one streaming pass."""
    cr = CompactRange()
    for leaf in leaves:
        cr.append(leaf)
    return cr.root()


def root_from_hashes(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH over precomputed leaf hashes."""
    cr = CompactRange()
    for h in leaf_hashes:
        cr.append_hash(h)
    return cr.root()


def _subtree(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    cr = CompactRange()
    for i in range(lo, hi):
        cr.append_hash(hashes[i])
    return cr.root()


def _split(n: int) -> int:
    """The largest power of two strictly less than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _path(index: int, hashes: Sequence[bytes], lo: int, hi: int) -> list[bytes]:
    # RFC 6962 2.1.1 PATH(m, D[n]), iteratively from the root down, then reversed
    # so that the proof lists the leaf's sibling first.
    out: list[bytes] = []
    m = index
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            out.append(_subtree(hashes, lo + k, hi))
            hi = lo + k
        else:
            out.append(_subtree(hashes, lo, lo + k))
            lo += k
            m -= k
    out.reverse()
    return out


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 6962 audit path for leaf ``index`` (0-based) in the tree of all ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ValueError("leaf index outside the tree")
    hashes = [leaf_hash(x) for x in leaves]
    return _path(index, hashes, 0, len(hashes))


def _subproof(m: int, hashes: Sequence[bytes], lo: int, hi: int, complete: bool) -> list[bytes]:
    # RFC 6962 2.1.2 SUBPROOF(m, D[n], b).
    n = hi - lo
    if m == n:
        return [] if complete else [_subtree(hashes, lo, hi)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes, lo, lo + k, complete), _subtree(hashes, lo + k, hi)]
    return [*_subproof(m - k, hashes, lo + k, hi, False), _subtree(hashes, lo, lo + k)]


def consistency_proof(leaves: Sequence[bytes], old_size: int) -> list[bytes]:
    """RFC 6962 proof that the first ``old_size`` leaves are a prefix of ``leaves``."""
    if not 0 <= old_size <= len(leaves):
        raise ValueError("old size outside the tree")
    if old_size in (0, len(leaves)):
        return []
    hashes = [leaf_hash(x) for x in leaves]
    return _subproof(old_size, hashes, 0, len(hashes), True)


def _check_hashes(*values: bytes) -> None:
    if any(not isinstance(v, bytes) or len(v) != HASH_SIZE for v in values):
        raise InvalidProof()


def verify_inclusion_hash(
    leaf_digest: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Check that ``leaf_digest`` is leaf ``index`` of the tree of ``size`` with ``root_hash``.

    RFC 9162 section 2.1.3.2. Raises :class:`InvalidProof` on any mismatch.
    """
    _check_hashes(leaf_digest, root_hash, *proof)
    # (1) The index must be inside the tree.
    if not 0 <= index < size:
        raise InvalidProof("inclusion proof: the index is outside the tree")
    fn, sn, r = index, size - 1, leaf_digest
    # (2) Fold the proof, the sibling on the side the index bits say.
    for p in proof:
        if sn == 0:
            raise InvalidProof("inclusion proof: too many hashes")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # (3) Every level was used, and the result is the root.
    if sn != 0:
        raise InvalidProof("inclusion proof: too few hashes")
    if not hmac.compare_digest(r, root_hash):
        raise InvalidProof("inclusion proof does not lead to the root")


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root_hash: bytes
) -> None:
    """Like :func:`verify_inclusion_hash` for leaf data (e.g. a record hash's 32 bytes)."""
    verify_inclusion_hash(leaf_hash(leaf), index, size, proof, root_hash)


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree (``new_size``, ``new_root``) extends (``old_size``, ``old_root``).

    RFC 9162 section 2.1.4.2. Raises :class:`InvalidProof` on any mismatch.
    """
    _check_hashes(old_root, new_root, *proof)
    # (1) Sizes: no time travel; equal sizes need equal roots and no proof.
    if not 0 <= old_size <= new_size:
        raise InvalidProof("consistency proof: the old tree is larger than the new one")
    if old_size == new_size:
        if proof or not hmac.compare_digest(old_root, new_root):
            raise InvalidProof("consistency proof: equal sizes with different roots")
        return
    if old_size == 0:
        if proof:
            raise InvalidProof("consistency proof: the empty tree needs no proof")
        return
    if not proof:
        raise InvalidProof("consistency proof is empty")
    # (2) A power-of-two old tree is itself a node of the new one: its root starts the proof.
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    # (3) Rebuild both roots at once from the shared path.
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof("consistency proof: too many hashes")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # (4) Both roots must come out as claimed.
    if sn != 0:
        raise InvalidProof("consistency proof: too few hashes")
    if not (hmac.compare_digest(fr, old_root) and hmac.compare_digest(sr, new_root)):
        raise InvalidProof("consistency proof does not lead to both roots")
