"""Agent tokens of agent-mode databases: created, listed, revoked; never stored in clear."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from conexor.store.errors import NotFound
from conexor.store.tables import AgentTokenRow

__all__ = ["AgentTokenRecord", "AgentTokens"]


@dataclass(frozen=True)
class AgentTokenRecord:
    """A stored token verifier and the database it opens."""

    token_id: str
    org_id: str
    database_id: str
    salt: bytes
    digest: bytes
    created_at: datetime
    revoked_at: datetime | None


def _record(row: AgentTokenRow) -> AgentTokenRecord:
    return AgentTokenRecord(
        row.id, row.org_id, row.database_id, row.salt, row.digest, row.created_at, row.revoked_at
    )


class AgentTokens:
    """Persist agent-token verifiers."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(
        self, *, org_id: str, database_id: str, token_id: str, salt: bytes, digest: bytes
    ) -> None:
        """Store a new token's verifier."""
        row = AgentTokenRow(
            id=token_id,
            org_id=org_id,
            database_id=database_id,
            salt=salt,
            digest=digest,
            created_at=datetime.now(UTC),
        )
        with Session(self._engine) as session, session.begin():
            session.add(row)

    def get(self, token_id: str) -> AgentTokenRecord | None:
        """The verifier for ``token_id``, or None."""
        with Session(self._engine) as session:
            row = session.get(AgentTokenRow, token_id)
            return _record(row) if row else None

    def for_database(self, database_id: str) -> list[AgentTokenRecord]:
        """Every token of a database, oldest first, revoked ones included."""
        with Session(self._engine) as session:
            rows = session.scalars(
                select(AgentTokenRow)
                .where(AgentTokenRow.database_id == database_id)
                .order_by(AgentTokenRow.created_at)
            )
            return [_record(r) for r in rows]

    def revoke(self, database_id: str, token_id: str) -> None:
        """Mark a token of this database revoked."""
        with Session(self._engine) as session, session.begin():
            row = session.get(AgentTokenRow, token_id)
            if row is None or row.database_id != database_id:
                raise NotFound(f"no agent token with id {token_id[:32]!r} for this database")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
