"""Append-only persistence of the audit chain, one gap-free chain per organisation.

Appends lock the org's head row (``SELECT ... FOR UPDATE`` on PostgreSQL;
SQLite has a single writer, and one process commits one batch at a time), so
concurrent calls and several replicas never fork the chain. The record is
committed before the caller may return any data: fail closed. Concurrent
appends share one transaction (group commit, see :class:`AuditLog`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from conexor.audit import chain
from conexor.audit.errors import AuditError, AuditWriteFailed
from conexor.audit.export import record_from_dict
from conexor.audit.lines import line_of
from conexor.audit.record import AuditDraft, AuditRecord, format_ts
from conexor.store.tables import AuditCheckpointRow, AuditHeadRow, AuditRow

__all__ = ["AuditLog"]

_HEX64 = re.compile(r"[0-9a-f]{64}")
_LOCK_HEADS = (
    select(AuditHeadRow.org_id, AuditHeadRow.seq, AuditHeadRow.head_hash)
    .where(AuditHeadRow.org_id.in_(bindparam("orgs", expanding=True)))
    .order_by(AuditHeadRow.org_id)
    .with_for_update()
)
_INSERT_RECORD = insert(AuditRow)
_MOVE_HEAD = (
    update(AuditHeadRow)
    .where(AuditHeadRow.org_id == bindparam("org"))
    .values(seq=bindparam("seq"), head_hash=bindparam("hash"))
)
_ROW_COUNT = ',"row_count":'


@dataclass(eq=False)
class _Pending:
    """One caller's draft waiting for the batch that makes it durable."""

    draft: AuditDraft
    record: AuditRecord | None = None
    failed: bool = False


class AuditLog:
    """Append records and read them back in order.

    Group commit: calls that append at the same time share one transaction
    (and one fsync). The first waiting caller becomes the leader, takes every
    queued draft (up to ``max_batch``), chains and commits them together, and
    wakes the others. Each caller still returns only after the transaction
    holding its own record has committed, and a failed commit fails every
    record in it: fail closed, with the cost of durability shared.
    """

    def __init__(self, engine: Engine, *, max_batch: int = 256) -> None:
        self._engine = engine
        self._encode = chain.body_encoder()
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Pending] = []
        self._leading = False

    def append(self, draft: AuditDraft) -> AuditRecord:
        """Chain and durably store one record; raise AuditWriteFailed if that cannot be done."""
        mine = _Pending(draft)
        with self._cond:
            self._queue.append(mine)
            while mine.record is None and not mine.failed:
                if self._leading:
                    self._cond.wait()
                    continue
                self._leading = True
                batch = self._queue[: self._max_batch]
                del self._queue[: self._max_batch]
                self._cond.release()
                try:
                    self._commit(batch)
                finally:
                    self._cond.acquire()
                    self._leading = False
                    self._cond.notify_all()
        if mine.record is None:
            raise AuditWriteFailed()
        return mine.record

    def _commit(self, batch: list[_Pending]) -> None:
        """Chain and store ``batch`` in one transaction; mark each item done or failed."""
        try:
            written = self._write(batch)
        except SQLAlchemyError:
            for item in batch:
                item.failed = True
            return
        except BaseException:
            for item in batch:
                item.failed = True  # nobody waits forever, whatever happened
            raise
        for item, record in written:
            item.record = record

    def _write(self, batch: list[_Pending]) -> list[tuple[_Pending, AuditRecord]]:
        # Core statements, not ORM objects: this runs once per audited call.
        orgs = sorted({item.draft.org_id for item in batch})  # one lock order: no deadlocks
        with self._engine.begin() as conn:
            heads = {
                org_id: (seq, head_hash)
                for org_id, seq, head_hash in conn.execute(_LOCK_HEADS, {"orgs": orgs})
            }
            rows: list[dict[str, object]] = []
            written = []
            for item in batch:
                head = heads.get(item.draft.org_id)
                if head is None:  # an organisation the store does not know: refuse
                    item.failed = True
                    continue
                try:
                    record = chain.seal(item.draft, seq=head[0] + 1, prev_hash=head[1])
                except AuditError:
                    item.failed = True  # this call fails; the others in the batch go on
                    continue
                rows.append(
                    {
                        "org_id": record.org_id,
                        "seq": record.seq,
                        "ts": format_ts(record.ts),
                        # The canonical body (the hashed bytes), so that reading the
                        # trail back as lines needs no re-encoding (see lines()).
                        "body": self._encode(record).decode("utf-8"),
                        "prev_hash": record.prev_hash,
                        "record_hash": record.record_hash,
                    }
                )
                heads[record.org_id] = (record.seq, record.record_hash)
                written.append((item, record))
            if rows:
                conn.execute(_INSERT_RECORD, rows)
                moved = {str(r["org_id"]) for r in rows}
                conn.execute(
                    _MOVE_HEAD,
                    [{"org": org, "seq": heads[org][0], "hash": heads[org][1]} for org in moved],
                )
        return written

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

    def lines(self, org_id: str, *, after_seq: int = 0, page: int = 5000) -> Iterator[bytes]:
        """Every record of the org with seq > ``after_seq`` as JSON Lines, a page per chunk.

        Each line is the record as stored, ``record_hash`` included; for a body
        this store wrote, that is the record's canonical line, which a verifier
        hashes without parsing. The store does not judge the records: a body
        that was altered is relayed with its values as they are (re-encoded
        when it is not in the stored form), and the verifier decides.
        """
        query = (
            select(AuditRow.seq, AuditRow.body, AuditRow.record_hash)
            .where(AuditRow.org_id == org_id, AuditRow.seq > bindparam("after"))
            .order_by(AuditRow.seq)
            .limit(page)
        )
        while True:
            with self._engine.connect() as conn:
                rows = conn.execute(query, {"after": after_seq}).all()
            if rows:
                yield b"".join([_line(body, record_hash) for _, body, record_hash in rows])
            if len(rows) < page:
                return
            after_seq = rows[-1][0]

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


def _line(body: str, record_hash: str) -> bytes:
    """One stored record as a line: ``record_hash`` spliced into the stored body when it can be.

    Bodies are stored canonical (and were stored as sorted, compact ASCII JSON
    before, which is the same text when it has no ``\\u`` escape), so the
    member ``"record_hash"`` belongs right before ``"row_count"``, the last
    top-level key that can follow it (only scalars come after ``params``).
    Anything else (an escape, a body not written by this store, a malformed
    hash) is parsed and re-encoded with its values unchanged.
    """
    cut = body.rfind(_ROW_COUNT)
    if cut > 0 and "\\u" not in body and _HEX64.fullmatch(record_hash):
        return f'{body[:cut]},"record_hash":"{record_hash}"{body[cut:]}\n'.encode()
    try:
        obj = json.loads(body)
    except ValueError:
        obj = None
    if not isinstance(obj, dict):
        # Not a record at all: relayed as a JSON string, which no verifier accepts.
        return json.dumps(body).encode("ascii") + b"\n"
    obj["record_hash"] = record_hash
    return line_of(obj)
