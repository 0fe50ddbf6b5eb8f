"""Verify a whole trail in one pass: the chain, the Merkle root, and saved checkpoints.

The pass recomputes every record hash and link (as :func:`conexor.audit.verify`
does) and, at the same time, the RFC 6962 Merkle root over the record hashes.
Whenever the number of records reaches the size of a saved checkpoint, the root
so far must equal the checkpoint's root. That one comparison is what catches
the damage a chain cannot see: a tail rewritten and relinked, a whole trail
replaced by a self-consistent new one, an older backup restored. A trail that
ends below a checkpoint's size was truncated. Two signed checkpoints of one
size with different roots prove a split view, whatever the trail says.

Memory stays O(log n): records stream through, only the Merkle compact range
is kept. ``progress`` is called with the number of records done so far.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from conexor.audit.chain import DOMAIN, GENESIS, body_encoder, diagnose
from conexor.audit.checkpoint import Checkpoint, verify_checkpoint
from conexor.audit.errors import ChainBroken, CheckpointMismatch, Step
from conexor.audit.lines import line_entries, record_of
from conexor.audit.merkle import CompactRange
from conexor.audit.notekey import VerifierKey
from conexor.audit.record import AuditRecord

__all__ = [
    "PROGRESS_EVERY",
    "TrailReport",
    "record_leaf",
    "trail_root",
    "verify_lines",
    "verify_trail",
]

_S = TypeVar("_S")

#: ``progress`` is called after every this many records, and once at the end.
PROGRESS_EVERY = 65536


@dataclass(frozen=True)
class TrailReport:
    """What an intact trail looked like: its extent, head, root and the checks made.

    ``checkpoints`` lists the sizes whose roots were compared (each once);
    ``signatures_checked`` is False when no public key was given, in which case
    the checkpoints were trusted as given.
    """

    first_seq: int
    last_seq: int
    head: str
    root: bytes
    checkpoints: tuple[int, ...]
    signatures_checked: bool

    @property
    def count(self) -> int:
        """Number of records verified in this pass."""
        return self.last_seq - self.first_seq + 1


def record_leaf(rec: AuditRecord) -> bytes:
    """The Merkle leaf of a record: the 32 raw bytes of its ``record_hash``."""
    return bytes.fromhex(rec.record_hash)


def trail_root(records: Iterable[AuditRecord]) -> bytes:
    """The Merkle root over the records' leaves (no verification; see :func:`verify_trail`)."""
    cr = CompactRange()
    for rec in records:
        cr.append(record_leaf(rec))
    return cr.root()


def _check_checkpoints(
    checkpoints: list[Checkpoint], public_key: VerifierKey | None, origin: str | None
) -> dict[int, bytes]:
    # (1) Every checkpoint is signed by the pinned key (BadSignature otherwise).
    if public_key is not None:
        for cp in checkpoints:
            verify_checkpoint(cp, public_key)
    # (2) They all describe this log.
    origins = {cp.origin for cp in checkpoints}
    if origin is not None:
        origins.add(origin)
    if len(origins) > 1:
        size = min(cp.size for cp in checkpoints)
        raise CheckpointMismatch(
            "wrong_log",
            size=size,
            seq=1,
            message="the checkpoints are not all for this organisation's audit log",
        )
    # (3) No split view: one root per size.
    roots: dict[int, bytes] = {}
    for cp in sorted(checkpoints, key=lambda c: c.size):
        known = roots.setdefault(cp.size, cp.root)
        if known != cp.root:
            raise CheckpointMismatch(
                "split_view",
                size=cp.size,
                seq=cp.size,
                message=(
                    f"split view: two checkpoints of size {cp.size} have different roots; "
                    "the log showed different histories to different readers"
                ),
            )
    return roots


def _rewritten(size: int, lo: int) -> CheckpointMismatch:
    return CheckpointMismatch(
        "trail_rewritten",
        size=size,
        seq=lo,
        message=(
            f"audit trail rewritten since the checkpoint of size {size}: the Merkle root "
            f"differs; the first changed record is between {lo} and {size}"
        ),
    )


def verify_trail(
    records: Iterable[AuditRecord],
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: VerifierKey | None = None,
    origin: str | None = None,
    start_seq: int = 1,
    start_prev: str = GENESIS,
    start_range: CompactRange | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrailReport:
    """Verify ``records`` (in order) and their consistency with every checkpoint.

    Raises :class:`BadSignature` for a checkpoint not signed by ``public_key``,
    :class:`CheckpointMismatch` for a split view, another log's checkpoint, a
    rewritten or truncated trail, and :class:`ChainBroken` at the first record
    whose seq, link or hash is wrong (with the likely damage named). Returns a
    :class:`TrailReport` when everything holds.

    To start from a trusted point instead of record 1, pass ``start_seq``,
    ``start_prev`` and, when checkpoints are given, ``start_range``: the
    Merkle compact range of the first ``start_seq - 1`` records. Checkpoints
    smaller than that are outside the pass and are not compared.
    """
    encode = body_encoder()
    entries = ((r.seq, r.prev_hash, r.record_hash, encode(r), r) for r in records)
    return _verify(
        entries,
        lambda r: r,
        checkpoints=checkpoints,
        public_key=public_key,
        origin=origin,
        start_seq=start_seq,
        start_prev=start_prev,
        start_range=start_range,
        progress=progress,
    )


def verify_lines(
    lines: Iterable[bytes | str],
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: VerifierKey | None = None,
    origin: str | None = None,
    start_seq: int = 1,
    start_prev: str = GENESIS,
    start_range: CompactRange | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrailReport:
    """:func:`verify_trail` over JSON Lines records (an export, or the server's stream).

    The same checks, errors and report as ``verify_trail(read_jsonl(lines))``,
    in a fraction of the time: canonical lines are hashed as they are, without
    building records (see :mod:`conexor.audit.lines`). Malformed lines raise
    :class:`MalformedRecord` naming the line number.
    """
    return _verify(
        line_entries(lines),
        record_of,
        checkpoints=checkpoints,
        public_key=public_key,
        origin=origin,
        start_seq=start_seq,
        start_prev=start_prev,
        start_range=start_range,
        progress=progress,
    )


#: What the pass needs of one record: seq, prev_hash, record_hash, the canonical
#: body bytes, and whatever gives back the full record when damage must be named.
_Entry: TypeAlias = tuple[int, str, str, bytes, _S]


def _verify(
    entries: Iterable[_Entry[_S]],
    record: Callable[[_S], AuditRecord],
    *,
    checkpoints: Iterable[Checkpoint],
    public_key: VerifierKey | None,
    origin: str | None,
    start_seq: int,
    start_prev: str,
    start_range: CompactRange | None,
    progress: Callable[[int], None] | None,
) -> TrailReport:
    cps = list(checkpoints)
    roots = _check_checkpoints(cps, public_key, origin)
    base = start_seq - 1
    if start_range is None:
        if base and cps:
            raise ValueError("verifying checkpoints from a later start needs start_range")
        start_range = CompactRange()
    elif start_range.size != base:
        raise ValueError("start_range must cover exactly the records before start_seq")
    cr = start_range.copy()
    targets = sorted(size for size in roots if size >= base)
    checked: list[int] = []
    last_good = base
    # (4) A checkpoint at the start point compares before any record is read.
    while targets and targets[0] == base:
        if cr.root() != roots[base]:
            raise _rewritten(base, 1)
        checked.append(targets.pop(0))
    next_target = targets[0] if targets else -1

    def damage(
        seq: int, step: Step, entry: _Entry[_S], rest: Iterator[_Entry[_S]], before: str | None
    ) -> ChainBroken:
        # Only once the trail is known to be broken: build the full records.
        return diagnose(seq, step, record(entry[4]), (record(e[4]) for e in rest), before)

    sha256 = hashlib.sha256
    append = cr.append_hash
    unhex = binascii.unhexlify
    expected = start_seq
    prev = start_prev
    prev_bytes = unhex(start_prev)
    before: str | None = None
    it = iter(entries)
    # (5) One pass: the chain checks of conexor.audit.verify, then the Merkle leaf.
    # Hashes here are public values, so plain comparison is fine (no secret to time).
    for entry in it:
        seq, prev_hash, record_hash, body, _ = entry
        if seq != expected:
            raise damage(expected, "seq", entry, it, before)
        if prev_hash != prev:
            raise damage(expected, "prev_hash", entry, it, before)
        leaf = unhex(record_hash)
        if sha256(DOMAIN + prev_bytes + body).digest() != leaf:
            raise damage(expected, "record_hash", entry, it, before)
        append(sha256(b"\x00" + leaf).digest())
        before = prev
        prev = record_hash
        prev_bytes = leaf
        # (6) At a checkpoint's size the root so far must be the checkpoint's root.
        if expected == next_target:
            if cr.root() != roots[expected]:
                # A record inserted or swapped at the checkpoint's edge breaks the
                # next link; naming that is more precise than "rewritten".
                nxt = next(it, None)
                if nxt is not None and nxt[0] != expected + 1:
                    raise damage(expected + 1, "seq", nxt, it, before)
                if nxt is not None and nxt[1] != prev:
                    raise damage(expected + 1, "prev_hash", nxt, it, before)
                raise _rewritten(expected, last_good + 1)
            checked.append(targets.pop(0))
            last_good = expected
            next_target = targets[0] if targets else -1
        if progress is not None and not (expected - base) % PROGRESS_EVERY:
            progress(expected - base)
        expected += 1

    last = expected - 1
    if progress is not None:
        progress(last - base)
    # (7) A checkpoint beyond the end means records were cut off.
    if targets:
        size = targets[-1]
        raise CheckpointMismatch(
            "tail_truncated",
            size=size,
            seq=last + 1,
            message=(
                f"audit trail truncated: it ends at record {last} but a checkpoint covers "
                f"{size} records; records {last + 1} to {size} are missing"
            ),
        )
    return TrailReport(
        first_seq=start_seq,
        last_seq=last,
        head=prev,
        root=cr.root(),
        checkpoints=tuple(checked),
        signatures_checked=public_key is not None,
    )
