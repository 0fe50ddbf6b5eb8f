"""Issue signed audit checkpoints: every N records or T seconds, and as idle heartbeats.

The Merkle state of each org's trail is kept in memory as a compact range and
extended from the store with only the records added since, so issuing a
checkpoint costs O(new records), not O(trail). Checkpoints are chained
(``previous`` = hash of the one before), stored append-only, and served to
customers, who keep them outside the server: that is what makes a rewritten
or truncated trail detectable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from conexor.audit import (
    NO_PREVIOUS,
    Checkpoint,
    CompactRange,
    SignerKey,
    checkpoint_due,
    checkpoint_hash,
    origin_for,
    parse_checkpoint,
    sign_checkpoint,
)
from conexor.audit.record import format_ts
from conexor.store import AuditLog

__all__ = ["Checkpointer"]


class Checkpointer:
    """Decides when a checkpoint is due and issues it, one org at a time."""

    def __init__(
        self,
        audit: AuditLog,
        signer: SignerKey,
        *,
        every_records: int,
        every_seconds: float,
        heartbeat_seconds: float,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._audit = audit
        self._signer = signer
        self._every_records = every_records
        self._every_seconds = every_seconds
        self._heartbeat_seconds = heartbeat_seconds
        self._clock = clock
        # Per org: the compact range so far and the hash of the last record it covers.
        self._ranges: dict[str, tuple[CompactRange, bytes]] = {}
        self._lock = threading.Lock()

    @property
    def signer(self) -> SignerKey:
        """The signing key (its public half is published)."""
        return self._signer

    def latest(self, org_id: str) -> Checkpoint | None:
        """The org's newest stored checkpoint."""
        texts = self._audit.checkpoints(org_id, limit=1)
        return parse_checkpoint(texts[0]) if texts else None

    def issue_due(self) -> int:
        """Issue a checkpoint for every org that is due one; return how many were issued."""
        issued = 0
        for org_id in self._audit.org_ids():
            if self.issue(org_id, force=False) is not None:
                issued += 1
        return issued

    def issue(self, org_id: str, *, force: bool = True) -> Checkpoint | None:
        """Issue a checkpoint of the org's current trail (when due, or always if ``force``)."""
        with self._lock:
            last = self.latest(org_id)
            size, _head = self._audit.head(org_id)
            now = self._clock()
            if not force and not checkpoint_due(
                last,
                size=size,
                now=now,
                every_records=self._every_records,
                every_seconds=self._every_seconds,
                heartbeat_seconds=self._heartbeat_seconds,
            ):
                return None
            cp = sign_checkpoint(
                self._signer,
                origin=origin_for(org_id),
                size=size,
                root=self._root(org_id, size),
                time=now,
                previous=checkpoint_hash(last) if last else NO_PREVIOUS,
            )
            self._audit.add_checkpoint(org_id, size, format_ts(now), cp.to_text())
            return cp

    def _root(self, org_id: str, size: int) -> bytes:
        """Merkle root of the first ``size`` records, extending the cached compact range.

        The cache is trusted only while the store still holds the record it
        ended at: after a restore or a rewrite the root is recomputed from what
        the store holds now, so a checkpoint never vouches for a history the
        store no longer has.
        """
        current, last = CompactRange(), b""
        cached = self._ranges.get(org_id)
        if cached is not None and 0 < cached[0].size <= size:
            tail = self._audit.record_hashes(
                org_id, after_seq=cached[0].size - 1, upto_seq=cached[0].size
            )
            if tail == [cached[1]]:
                current, last = cached
        for leaf in self._audit.record_hashes(org_id, after_seq=current.size, upto_seq=size):
            current.append(leaf)
            last = leaf
        self._ranges[org_id] = (current, last)
        return current.root()
