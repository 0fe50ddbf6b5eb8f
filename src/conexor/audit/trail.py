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
is kept (and up to a few thousand record hashes waiting to join it, a subtree
at a time). ``progress`` is called with the number of records done so far.

Canonical JSON Lines (an export, the server's stream) are checked on their
bytes by :class:`conexor.audit.lines.ChainRun` for as long as each line
continues the chain; any other line is decided by the general loop over
entries, so the answers are the same whichever loop took a record.
"""

from __future__ import annotations

import binascii
import hashlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeAlias, TypeVar

from conexor.audit.chain import DOMAIN, GENESIS, body_encoder, diagnose
from conexor.audit.checkpoint import Checkpoint, verify_checkpoint
from conexor.audit.errors import ChainBroken, CheckpointMismatch, Step
from conexor.audit.lines import ChainRun, Source, line_entries, record_of
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


def _same(rec: AuditRecord) -> AuditRecord:
    return rec


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

    def feed(st: _Pass[AuditRecord]) -> None:
        _run(st, ((r.seq, r.prev_hash, r.record_hash, encode(r), r) for r in records))

    return _verify(
        feed,
        _same,
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
        lambda st: _run_lines(st, lines),
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

#: Record hashes waiting to be added to the Merkle range, which takes them a
#: subtree at a time (the same hashes, fewer interpreter steps).
_LEAF_BATCH = 4096


class _Pass(Generic[_S]):
    """Where one verification pass stands: the chain so far, the Merkle range, what is due.

    The general loop (:func:`_run`, over entries) and the loop over canonical
    lines (:class:`ChainRun`) both advance this state, taking turns; either
    stops after the record ``next_stop()`` so that :meth:`after` can flush
    the leaves, compare a checkpoint's root and report progress, exactly once
    per record and in the same order whichever loop took the record.
    """

    __slots__ = (
        "base",
        "before",
        "checked",
        "cr",
        "digest",
        "expected",
        "last_good",
        "leaves",
        "prev",
        "progress",
        "record",
        "roots",
        "targets",
    )

    def __init__(
        self,
        record: Callable[[_S], AuditRecord],
        roots: dict[int, bytes],
        cr: CompactRange,
        *,
        start_seq: int,
        start_prev: str,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.record = record
        self.roots = roots
        self.cr = cr
        self.base = start_seq - 1
        self.expected = start_seq
        self.prev = start_prev
        self.digest = binascii.unhexlify(start_prev)
        self.before: str | None = None
        self.progress = progress
        self.leaves: list[bytes] = []
        self.targets = sorted(size for size in roots if size >= self.base)
        self.checked: list[int] = []
        self.last_good = self.base
        # (4) A checkpoint at the start point compares before any record is read.
        while self.targets and self.targets[0] == self.base:
            if cr.root() != roots[self.base]:
                raise _rewritten(self.base, 1)
            self.checked.append(self.targets.pop(0))

    def next_stop(self) -> int:
        """The seq after which :meth:`after` is due: a checkpoint, progress, a full batch."""
        stop = self.expected + _LEAF_BATCH - 1 - len(self.leaves)
        if self.targets:
            stop = min(stop, self.targets[0])
        if self.progress is not None:
            done = self.expected - self.base  # records done once this one is
            stop = min(stop, self.expected + (-done) % PROGRESS_EVERY)
        return stop

    def flush(self) -> None:
        """Add the waiting record hashes to the Merkle range."""
        if self.leaves:
            self.cr.extend(self.leaves)
            self.leaves.clear()

    def damage(
        self, seq: int, step: Step, entry: _Entry[_S], rest: Iterator[_Entry[_S]]
    ) -> ChainBroken:
        """The error for a broken trail; only now are full records built, to name the damage."""
        record = self.record
        return diagnose(seq, step, record(entry[4]), (record(e[4]) for e in rest), self.before)

    def after(self, seq: int, rest: Iterator[_Entry[_S]]) -> None:
        """What is due after record ``seq`` (already counted), peeking at ``rest`` if broken."""
        if len(self.leaves) >= _LEAF_BATCH:
            self.flush()
        # (6) At a checkpoint's size the root so far must be the checkpoint's root.
        if self.targets and seq == self.targets[0]:
            self.flush()
            if self.cr.root() != self.roots[seq]:
                # A record inserted or swapped at the checkpoint's edge breaks the
                # next link; naming that is more precise than "rewritten".
                nxt = next(rest, None)
                if nxt is not None and nxt[0] != seq + 1:
                    raise self.damage(seq + 1, "seq", nxt, rest)
                if nxt is not None and nxt[1] != self.prev:
                    raise self.damage(seq + 1, "prev_hash", nxt, rest)
                raise _rewritten(seq, self.last_good + 1)
            self.checked.append(self.targets.pop(0))
            self.last_good = seq
        if self.progress is not None and not (seq - self.base) % PROGRESS_EVERY:
            self.progress(seq - self.base)


def _run(st: _Pass[_S], entries: Iterator[_Entry[_S]], limit: int = -1) -> None:
    """The general loop: check ``limit`` entries (all when negative) and advance ``st``."""
    sha256 = hashlib.sha256
    unhex = binascii.unhexlify
    expected, prev, prev_bytes = st.expected, st.prev, st.digest
    append = st.leaves.append
    stop = st.next_stop()
    # (5) The chain checks of conexor.audit.verify, then the Merkle leaf. Hashes
    # here are public values, so plain comparison is fine (no secret to time).
    for entry in entries:
        seq, prev_hash, record_hash, body, _ = entry
        if seq != expected:
            raise st.damage(expected, "seq", entry, entries)
        if prev_hash != prev:
            raise st.damage(expected, "prev_hash", entry, entries)
        leaf = unhex(record_hash)
        if sha256(DOMAIN + prev_bytes + body).digest() != leaf:
            raise st.damage(expected, "record_hash", entry, entries)
        append(leaf)
        st.before, prev, prev_bytes = prev, record_hash, leaf
        expected += 1
        if expected > stop:
            st.expected, st.prev, st.digest = expected, prev, prev_bytes
            st.after(expected - 1, entries)
            stop = st.next_stop()
        limit -= 1
        if not limit:
            break
    st.expected, st.prev, st.digest = expected, prev, prev_bytes


def _run_lines(st: _Pass[Source], lines: Iterable[bytes | str]) -> None:
    """Lines through :class:`ChainRun`; each line it does not take, through :func:`_run`."""
    it = iter(lines)
    run = ChainRun(seq=st.expected, prev=st.prev)
    while True:
        last = st.next_stop()
        line = run.run(it, last, st.leaves)
        if run.seq != st.expected:
            st.expected, st.prev, st.digest = run.seq, run.prev.decode("ascii"), run.digest
            st.before = None if run.before is None else run.before.decode("ascii")
        if line is not None:
            # The one line the loop did not take (never blank): decided by the general pass.
            _run(st, line_entries(itertools.chain((line,), it), first_line=run.number), 1)
        elif st.expected - 1 == last:
            st.after(last, line_entries(it, first_line=run.number + 1))
        else:
            return
        run.resume(seq=st.expected, prev=st.prev, before=st.before)


def _verify(
    feed: Callable[[_Pass[_S]], None],
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
    st = _Pass(
        record,
        roots,
        start_range.copy(),
        start_seq=start_seq,
        start_prev=start_prev,
        progress=progress,
    )
    feed(st)
    st.flush()
    last = st.expected - 1
    if progress is not None:
        progress(last - base)
    # (7) A checkpoint beyond the end means records were cut off.
    if st.targets:
        size = st.targets[-1]
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
        head=st.prev,
        root=st.cr.root(),
        checkpoints=tuple(st.checked),
        signatures_checked=public_key is not None,
    )
