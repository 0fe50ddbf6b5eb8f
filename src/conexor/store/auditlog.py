"""Append-only persistence of the audit chain, one gap-free chain per organisation.

Appends lock the org's head row (``SELECT ... FOR UPDATE`` on PostgreSQL; a
process lock plus SQLite's single writer on the embedded store), so concurrent
calls and several replicas never fork the chain. The record is committed before
the caller may return any data: fail closed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from conexor.audit import chain
from conexor.audit.errors import AuditWriteFailed
from conexor.audit.export import record_from_dict
from conexor.audit.record import AuditDraft, AuditRecord
from conexor.store.tables import AuditCheckpointRow, AuditHeadRow, AuditRow

__all__ = ["AuditLog"]


class AuditLog:
    """Append records and read them back in order."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._serialize = engine.dialect.name == "sqlite"

    def append(self, draft: AuditDraft) -> AuditRecord:
        """Chain and durably store one record; raise AuditWriteFailed if that cannot be done."""
        try:
            if self._serialize:
                with self._lock:
                    return self._append(draft)
            return self._append(draft)
        except SQLAlchemyError:
            raise AuditWriteFailed() from None

    def _append(self, draft: AuditDraft) -> AuditRecord:
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            head = session.scalars(
                select(AuditHeadRow).where(AuditHeadRow.org_id == draft.org_id).with_for_update()
            ).one()
            record = chain.seal(draft, seq=head.seq + 1, prev_hash=head.head_hash)
            body = record.body()
            session.add(
                AuditRow(
                    org_id=draft.org_id,
                    seq=record.seq,
                    ts=body["ts"],
                    body=json.dumps(body, sort_keys=True, separators=(",", ":")),
                    prev_hash=record.prev_hash,
                    record_hash=record.record_hash,
                )
            )
            head.seq = record.seq
            head.head_hash = record.record_hash
        return record

    def records(
        self, org_id: str, *, after_seq: int = 0, since: str | None = None, limit: int = 1000
    ) -> list[AuditRecord]:
        """Up to ``limit`` records of the org with seq > ``after_seq`` (and ts >= ``since``)."""
        query = select(AuditRow).where(AuditRow.org_id == org_id, AuditRow.seq > after_seq)
        if since is not None:
            query = query.where(AuditRow.ts >= since)
        with Session(self._engine, expire_on_commit=False) as session:
            rows = session.scalars(query.order_by(AuditRow.seq).limit(limit)).all()
            return [self._decode(r) for r in rows]

    def iter_all(self, org_id: str, *, page: int = 1000) -> Iterator[AuditRecord]:
        """Every record of the org, in order, a page at a time."""
        after = 0
        while True:
            batch = self.records(org_id, after_seq=after, limit=page)
            yield from batch
            if len(batch) < page:
                return
            after = batch[-1].seq

    def head(self, org_id: str) -> tuple[int, str]:
        """The org's chain head: (last seq, its record hash); (0, GENESIS) when empty."""
        with Session(self._engine) as session:
            row = session.get(AuditHeadRow, org_id)
            return (row.seq, row.head_hash) if row else (0, chain.GENESIS)

    def org_ids(self) -> list[str]:
        """Every organisation that has a chain."""
        with Session(self._engine) as session:
            return list(session.scalars(select(AuditHeadRow.org_id)))

    def record_hashes(self, org_id: str, *, after_seq: int, upto_seq: int) -> list[bytes]:
        """Raw record hashes (the Merkle leaves) of seq in (after_seq, upto_seq], in order."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(AuditRow.record_hash)
                .where(
                    AuditRow.org_id == org_id,
                    AuditRow.seq > after_seq,
                    AuditRow.seq <= upto_seq,
                )
                .order_by(AuditRow.seq)
            )
            return [bytes.fromhex(h) for h in rows]

    def add_checkpoint(self, org_id: str, size: int, issued_at: str, text: str) -> None:
        """Store a signed checkpoint (append-only, like the records)."""
        try:
            with Session(self._engine) as session, session.begin():
                session.add(
                    AuditCheckpointRow(org_id=org_id, size=size, issued_at=issued_at, text=text)
                )
        except SQLAlchemyError:
            raise AuditWriteFailed("the audit checkpoint could not be written") from None

    def checkpoints(self, org_id: str, *, limit: int = 100) -> list[str]:
        """The org's newest checkpoints, newest first, as signed texts."""
        with Session(self._engine) as session:
            return list(
                session.scalars(
                    select(AuditCheckpointRow.text)
                    .where(AuditCheckpointRow.org_id == org_id)
                    .order_by(AuditCheckpointRow.id.desc())
                    .limit(limit)
                )
            )

    @staticmethod
    def _decode(row: AuditRow) -> AuditRecord:
        data = json.loads(row.body)
        data["record_hash"] = row.record_hash
        return record_from_dict(data)
